"""The simulator's admin forms: a partner is picked from the simulated partners, never
typed (a fault saved for "HSI" matched no partner and silently did nothing)."""

from __future__ import annotations

from django import forms

from partners.registry import entries


def simulated_partners() -> list[tuple[str, str]]:
    """(slug, name) of every registered partner with a simulated contract, read at each
    use so a partner registered at run time is offered too."""
    return [(e.slug, f"{e.name} ({e.slug})") for e in entries() if e.contract]


class SimulatedPartnerForm(forms.ModelForm):
    """Any simulator row's form, its partner a choice of the simulated partners."""

    partner = forms.ChoiceField(choices=simulated_partners)
