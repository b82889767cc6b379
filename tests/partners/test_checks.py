"""`manage.py check` names what an api-mode partner is missing, and any webhook secret
that is not one."""

import base64

import pytest
from django.core.checks import Error, Info, Warning

from partners.checks import check_partner_settings
from partners.models import Partner

VALID = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


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
        "WEBHOOK_SECRETS": VALID,
    }.items():
        monkeypatch.setenv(f"HSI_{name}", value)
    assert messages_for("hsi") == []


@pytest.mark.django_db
def test_roster_and_manual_partners_only_get_a_note(settings, monkeypatch):
    settings.PARTNER_SIMULATOR = False
    for slug in ("certiport", "jri"):
        monkeypatch.delenv(f"{slug.upper()}_MODE", raising=False)
        monkeypatch.delenv(f"{slug.upper()}_WEBHOOK_SECRETS", raising=False)
        messages = messages_for(slug)
        assert [(type(m), m.id) for m in messages] == [(Info, "partners.I001")], messages
        assert f"{slug.upper()}_WEBHOOK_SECRETS" in messages[0].hint


SHORT = "whsec_" + base64.b64encode(b"x" * 23).decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("whsec_", "is empty after whsec_"),
        (SHORT, "decodes to 23 bytes; at least 24 are needed"),
        ("whsec_not*base64!", "is not valid base64"),
        ("whsec_" + VALID[6:-1], "is not valid base64"),  # padding dropped
        (VALID[6:], "does not start with whsec_"),
    ],
    ids=["empty", "23-bytes", "not-base64", "bad-padding", "no-prefix"],
)
@pytest.mark.parametrize("mode", ["api", "roster"])
def test_an_invalid_webhook_secret_is_an_error_naming_the_variable_and_entry(
    settings, monkeypatch, secret, problem, mode
):
    settings.PARTNER_SIMULATOR = False
    monkeypatch.setenv("CAREERSAFE_MODE", mode)
    monkeypatch.setenv("CAREERSAFE_WEBHOOK_SECRETS", f"{VALID},{secret}")
    errors = [m for m in messages_for("careersafe") if m.id == "partners.E003"]
    assert len(errors) == 1
    assert isinstance(errors[0], Error)
    assert errors[0].msg.startswith(f"CAREERSAFE_WEBHOOK_SECRETS: entry 2 of 2 {problem}")
    # The value is a secret: never printed, nor is the valid one beside it.
    key_part = secret.removeprefix("whsec_")
    assert not key_part or key_part not in errors[0].msg + errors[0].hint
    assert VALID not in errors[0].msg + errors[0].hint


@pytest.mark.django_db
def test_each_invalid_webhook_secret_is_reported(settings, monkeypatch):
    settings.PARTNER_SIMULATOR = True  # explicit secrets win over the simulator's own
    monkeypatch.setenv("HSI_WEBHOOK_SECRETS", f"whsec_, {VALID}, {SHORT}")
    errors = [m.msg for m in messages_for("hsi") if isinstance(m, Error)]
    assert [e.split(" ", 4)[:4] for e in errors] == [
        ["HSI_WEBHOOK_SECRETS:", "entry", "1", "of"],
        ["HSI_WEBHOOK_SECRETS:", "entry", "3", "of"],
    ]


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
