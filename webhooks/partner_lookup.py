"""Which partner a webhook URL names, and its adapter, remembered for a few seconds per
process.

Every delivery needs both, and they were the receiver's largest costs after the INSERT:
a query for the partner, and the adapter reading its configuration from the environment.
They change only when staff edit a partner or a deployment changes the environment
(which restarts the processes). A partner saved in this process applies at once
(signals clear the memory); other processes see it within MEMORY_SECONDS. The adapter
comes from partners.registry at call time, and a partner registered or unregistered at run
time (tests) clears the memory too.
"""

from __future__ import annotations

import time

from partners.base import PartnerAdapter
from partners.models import Partner
from partners.registry import get_adapter, registry_changed

MEMORY_SECONDS = 30.0
SLUG_CHARS = 64

_partners: dict[str, tuple[float, Partner]] = {}
_adapters: dict[str, tuple[float, PartnerAdapter]] = {}


def partner_for_slug(slug: str) -> Partner | None:
    now = time.monotonic()
    hit = _partners.get(slug)
    if hit is not None and now - hit[0] < MEMORY_SECONDS:
        return hit[1]
    partner = Partner.objects.filter(slug=slug[:SLUG_CHARS]).only("pk", "slug", "active").first()
    # Unknown slugs are not remembered: anyone can make up as many as they like.
    if partner is not None:
        _partners[slug] = (now, partner)
    return partner


def adapter_for(partner: Partner) -> PartnerAdapter:
    """partners.registry.get_adapter, remembered; raises as it does."""
    now = time.monotonic()
    hit = _adapters.get(partner.slug)
    if hit is not None and now - hit[0] < MEMORY_SECONDS:
        return hit[1]
    adapter = get_adapter(partner.slug)
    _adapters[partner.slug] = (now, adapter)
    return adapter


def forget_partners(**kwargs) -> None:
    """Receiver for Partner post_save / post_delete and registry_changed; also for tests."""
    _partners.clear()
    _adapters.clear()


registry_changed.connect(forget_partners, dispatch_uid="webhooks.partner_registry_changed")
