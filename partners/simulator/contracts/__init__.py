"""The simulated contracts: each partner's entry in partners.registry names its own."""

from django.utils.module_loading import import_string

from partners.registry import CONTRACTS


def contract_for(slug: str):
    """The contract simulating `slug` (read from the registry at each call), or None."""
    path = CONTRACTS.get(slug)
    return import_string(path)() if path else None
