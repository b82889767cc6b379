"""partners.registry is the one list of partners: what lists partners reads it at call
time, so a partner registered at run time is seen everywhere and gone afterwards."""

import pytest
from django.core.checks import Error
from django.core.management import call_command

from partners import registry
from partners.checks import check_partner_settings
from partners.jri.adapter import JriAdapter
from partners.models import Partner
from partners.modes import ConnectionMode
from partners.registry import PartnerEntry, UnknownPartner, registered
from partners.simulator.contracts import contract_for
from partners.simulator.contracts.jri import JriContract
from webhooks.partner_lookup import adapter_for

# A made-up partner borrowing JRI's adapter and contract: enough to see who lists it.
EXTRA = PartnerEntry(
    slug="acme",
    name="Acme Academy",
    adapter="partners.jri.adapter.JriAdapter",
    contract="partners.simulator.contracts.jri.JriContract",
    realistic_mode=ConnectionMode.ROSTER,
)


def test_the_registry_declares_the_seven_partners_with_their_realistic_modes():
    assert dict(registry.REALISTIC_MODES) == {
        "hsi": "manual",
        "certiport": "roster",
        "careersafe": "roster",
        "milady": "roster",
        "jri": "manual",
        "nrf": "roster",
        "nds": "manual",
    }
    assert tuple(registry.PARTNER_SLUGS) == tuple(e.slug for e in registry.PARTNERS)
    for entry in registry.entries():
        assert registry.adapter_class(entry.slug).slug == entry.slug
        assert contract_for(entry.slug).slug == entry.slug


def test_a_registered_partner_is_listed_everywhere_until_it_is_removed():
    with registered(EXTRA):
        assert "acme" in registry.PARTNER_SLUGS and registry.PARTNER_SLUGS[-1] == "acme"
        assert registry.ADAPTERS["acme"] == EXTRA.adapter
        assert registry.REALISTIC_MODES["acme"] == ConnectionMode.ROSTER
        assert registry.adapter_class("acme") is JriAdapter
        assert registry.get_adapter("acme").config.slug == "acme"
        assert isinstance(contract_for("acme"), JriContract)
    assert "acme" not in registry.PARTNER_SLUGS and len(registry.PARTNER_SLUGS) == 7
    assert contract_for("acme") is None
    with pytest.raises(UnknownPartner):
        registry.get_adapter("acme")


@pytest.mark.django_db
def test_the_catalogue_loads_a_registered_partner(catalogue):
    with registered(EXTRA):
        call_command("load_catalogue", verbosity=0)
    acme = Partner.objects.get(slug="acme")
    assert (acme.name, acme.mode) == ("Acme Academy", "roster")
    assert not acme.courses.exists()


@pytest.mark.django_db
def test_the_checks_see_a_registered_partner(settings, monkeypatch):
    settings.PARTNER_SIMULATOR = False
    monkeypatch.setenv("ACME_MODE", "api")
    with registered(EXTRA):
        errors = [m.msg for m in check_partner_settings() if m.obj == "acme"]
    assert any("ACME_API_BASE_URL" in e for e in errors)
    assert not [m for m in check_partner_settings() if m.obj == "acme" and isinstance(m, Error)]


@pytest.mark.django_db
def test_the_webhook_lookup_forgets_a_partner_once_it_is_unregistered():
    partner = Partner.objects.create(slug="acme", name="Acme Academy")
    with registered(EXTRA):
        assert adapter_for(partner).config.slug == "acme"
    with pytest.raises(UnknownPartner):
        adapter_for(partner)


def test_a_slug_is_registered_once_and_must_be_usable_as_a_settings_prefix():
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.entry("hsi"))
    for bad in ("Acme", "ac-me", "a"):
        with pytest.raises(ValueError, match="lower-case"):
            registry.register(PartnerEntry(**{**vars(EXTRA), "slug": bad}))
    assert len(registry.PARTNER_SLUGS) == 7
