"""`manage.py check` names what an api-mode partner is missing."""

import pytest
from django.core.checks import Error, Info, Warning

from partners.checks import check_partner_settings
from partners.models import Partner


def messages_for(slug):
    return [m for m in check_partner_settings() if m.obj == slug]


@pytest.mark.django_db
def test_simulator_needs_no_settings(settings):
    settings.PARTNER_SIMULATOR = True
    assert [m for m in check_partner_settings() if isinstance(m, (Error, Warning))] == []


@pytest.mark.django_db
def test_live_api_partner_missing_settings_are_named(settings, monkeypatch):
    settings.PARTNER_SIMULATOR = False
    monkeypatch.setenv("NDS_MODE", "api")
    monkeypatch.setenv("NDS_API_KEY", "k")
    errors = [m.msg for m in messages_for("nds") if isinstance(m, Error)]
    assert any("NDS_API_BASE_URL" in e for e in errors)
    assert any("NDS_ORGANIZATION_ID" in e for e in errors)
    assert not any("NDS_API_KEY" in e for e in errors)
    assert any(
        isinstance(m, Warning) and "NDS_WEBHOOK_SECRETS" in m.hint for m in messages_for("nds")
    )


@pytest.mark.django_db
def test_complete_live_configuration_passes(settings, monkeypatch):
    settings.PARTNER_SIMULATOR = False
    for name, value in {
        "MODE": "api",
        "API_BASE_URL": "https://api.hsi.example",
        "API_KEY": "k",
        "API_SECRET": "s",
        "ORGANIZATION_ID": "o",
        "WEBHOOK_SECRETS": "whsec_MDEyMzQ1Njc4OWFiY2RlZg==",
    }.items():
        monkeypatch.setenv(f"HSI_{name}", value)
    assert messages_for("hsi") == []


@pytest.mark.django_db
def test_roster_and_manual_partners_only_get_a_note(settings):
    settings.PARTNER_SIMULATOR = False
    for slug in ("certiport", "jri"):
        assert all(isinstance(m, Info) for m in messages_for(slug))


@pytest.mark.django_db
def test_inactive_partners_are_not_checked(settings, monkeypatch, catalogue):
    settings.PARTNER_SIMULATOR = False
    monkeypatch.setenv("NDS_MODE", "api")
    Partner.objects.filter(slug="nds").update(active=False)
    assert messages_for("nds") == []


@pytest.mark.django_db
def test_invalid_mode_is_an_error(monkeypatch):
    monkeypatch.setenv("JRI_MODE", "fax")
    assert any(isinstance(m, Error) and "JRI_MODE" in m.msg for m in messages_for("jri"))
