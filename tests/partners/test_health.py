"""The partner-health rule (partners/health.py), on facts alone, and what the selector
reads: the mode and settings in force, the breaker, and the activity source."""

from datetime import UTC, datetime

import pytest

from partners.breakers import breaker_for, reset_breakers
from partners.health import (
    HealthReason,
    HealthStatus,
    OpenAlert,
    PartnerActivity,
    health_reasons,
    health_status,
    partners_health,
    set_activity_source,
)
from partners.models import Partner
from tests.factories import make_partner

R = HealthReason
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def alert(severity: str) -> OpenAlert:
    return OpenAlert(rule="some_rule", severity=severity, message="x", opened_at=NOW)


def judge(
    *, mode="api", configuration_error="", breaker="closed", **activity
) -> tuple[HealthStatus, tuple[HealthReason, ...]]:
    reasons = health_reasons(
        mode=mode,
        configuration_error=configuration_error,
        breaker=breaker,
        activity=PartnerActivity(**activity),
    )
    return health_status(reasons), reasons


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({}, ("ok", ())),
        ({"calls": 30}, ("ok", ())),
        ({"calls": 30, "errors": 2}, ("ok", ())),  # under 10 %
        ({"last_success": None, "calls": 0}, ("ok", ())),  # never judged on its age
        # down: calls do not work now
        ({"mode": "misconfigured", "configuration_error": "bad"}, ("down", (R.MISCONFIGURED,))),
        ({"configuration_error": "set HSI_API_KEY"}, ("down", (R.MISCONFIGURED,))),
        ({"breaker": "open"}, ("down", (R.BREAKER_OPEN,))),
        ({"alerts": (alert("critical"),)}, ("down", (R.CRITICAL_ALERT,))),
        ({"calls": 12, "errors": 8}, ("down", (R.ERROR_RATE_HIGH,))),  # above 50 %, 10 calls
        # degraded: something to look at
        ({"calls": 9, "errors": 9}, ("degraded", (R.ERRORS,))),  # too few calls to call it down
        ({"calls": 10, "errors": 5}, ("degraded", (R.ERRORS,))),  # 50 % is not above 50 %
        ({"calls": 10, "errors": 1}, ("degraded", (R.ERRORS,))),  # 10 %
        ({"breaker": "half-open"}, ("degraded", (R.BREAKER_HALF_OPEN,))),
        ({"breaker": "unknown"}, ("degraded", (R.BREAKER_UNKNOWN,))),
        ({"alerts": (alert("warning"),)}, ("degraded", (R.ALERT_OPEN,))),
        ({"calls": 5, "refused": 1}, ("degraded", (R.CALLS_REFUSED,))),
        # several, most serious first
        (
            {"breaker": "half-open", "alerts": (alert("warning"), alert("critical"))},
            ("down", (R.CRITICAL_ALERT, R.BREAKER_HALF_OPEN, R.ALERT_OPEN)),
        ),
        # roster and manual partners send no calls: only configuration and alerts count
        ({"mode": "roster", "breaker": "open", "calls": 12, "errors": 12}, ("ok", ())),
        ({"mode": "manual", "refused": 3}, ("ok", ())),
        ({"mode": "manual", "alerts": (alert("warning"),)}, ("degraded", (R.ALERT_OPEN,))),
    ],
)
def test_the_rule(facts, expected):
    assert judge(**facts) == expected


def test_the_thresholds_are_the_alert_rules(settings):
    settings.ALERT_ERROR_RATE = 0.2
    settings.ALERT_ERROR_RATE_MIN_CALLS = 4
    assert judge(calls=5, errors=1) == ("degraded", (R.ERRORS,))  # 20 % is not above
    assert judge(calls=4, errors=1) == ("down", (R.ERROR_RATE_HIGH,))
    assert judge(calls=3, errors=3) == ("degraded", (R.ERRORS,))


@pytest.fixture
def breakers():
    reset_breakers()
    yield
    reset_breakers()


def health_of(slug: str):
    [health] = partners_health(Partner.objects.filter(slug=slug))
    return health


def test_an_invalid_mode_is_down_and_says_which_variable(db, monkeypatch):
    make_partner(slug="jri")
    monkeypatch.setenv("JRI_MODE", "carrier-pigeon")
    health = health_of("jri")
    assert (health.status, health.reasons, health.mode) == (
        "down",
        (R.MISCONFIGURED,),
        "misconfigured",
    )
    assert "JRI_MODE" in health.configuration_error


def test_an_api_partner_missing_a_setting_is_down(db, settings, monkeypatch):
    settings.PARTNER_SIMULATOR = False
    make_partner(slug="nds", mode="api")
    monkeypatch.setenv("NDS_API_BASE_URL", "https://nds.example")
    monkeypatch.setenv("NDS_ORGANIZATION_ID", "org")
    monkeypatch.setenv("NDS_API_SECRET", "s")
    monkeypatch.delenv("NDS_API_KEY", raising=False)
    health = health_of("nds")
    assert (health.status, health.reasons) == ("down", (R.MISCONFIGURED,))
    assert health.configuration_error == "set NDS_API_KEY"

    monkeypatch.setenv("NDS_API_KEY", "k")
    assert health_of("nds").status == "ok"


def test_a_manual_partner_needs_no_api_settings(db, settings, monkeypatch):
    settings.PARTNER_SIMULATOR = False
    make_partner(slug="nds", mode="manual")
    monkeypatch.delenv("NDS_API_KEY", raising=False)
    assert (health_of("nds").status, health_of("nds").mode) == ("ok", "manual")


def test_the_breaker_is_read_and_an_unreadable_one_is_unknown(db, breakers, monkeypatch):
    make_partner(slug="hsi")
    breaker_for("hsi").open()
    assert (health_of("hsi").breaker, health_of("hsi").status) == ("open", "down")

    def unreachable(slug):
        raise ConnectionError("Redis down")

    monkeypatch.setattr("partners.health.breaker_state", unreachable)
    assert (health_of("hsi").breaker, health_of("hsi").reasons) == ("unknown", (R.BREAKER_UNKNOWN,))


def test_activity_comes_from_the_registered_source(db):
    make_partner(slug="hsi")
    make_partner(slug="nrf")
    seen = []

    def source(partners, since):
        seen.append(since)
        return [(p, PartnerActivity(calls=10, errors=10)) for p in partners]

    set_activity_source(source)
    try:
        healths = partners_health(Partner.objects.order_by("slug"), now=NOW)
    finally:
        from monitoring.partner_activity import partner_activity

        set_activity_source(partner_activity)
    assert [(h.slug, h.status, h.error_rate) for h in healths] == [
        ("hsi", "down", 1.0),
        ("nrf", "down", 1.0),
    ]
    assert seen == [datetime(2026, 3, 2, 8, 0, tzinfo=UTC)]  # the last hour


def test_without_a_source_nothing_is_known_of_calls_or_alerts(db):
    make_partner(slug="hsi")
    set_activity_source(None)
    try:
        health = health_of("hsi")
    finally:
        from monitoring.partner_activity import partner_activity

        set_activity_source(partner_activity)
    assert (health.status, health.calls, health.alerts, health.last_success) == ("ok", 0, (), None)
