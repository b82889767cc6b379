"""One partner health (partners.health), presented three ways: the API's `health`,
`/health/status/` and the dashboard's cards say the same of every partner, read from
monitoring's records (monitoring/partner_activity.py) in queries that do not grow."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.models import AlertSeverity, CallOutcome
from partners.breakers import breaker_for
from partners.health import partners_health
from partners.models import Partner
from tests.factories import make_alert, partner
from tests.monitoring.conftest import T0, log_calls

COLOUR = {"down": "red", "degraded": "amber", "ok": "green"}


def outages():
    log_calls("hsi", 8, CallOutcome.SERVER_ERROR)  # 8 of 12 failed: down
    log_calls("hsi", 4, CallOutcome.SUCCESS)
    log_calls("certiport", 30, CallOutcome.SUCCESS, duration_ms=400)  # ok
    log_calls("careersafe", 9, CallOutcome.SUCCESS)
    log_calls("careersafe", 1, CallOutcome.REFUSED, status_code=None)  # degraded
    breaker_for("nds").open()  # down
    make_alert(partner=partner("milady"), rule="voucher_stock_low", resolved_at=None)
    make_alert(partner=partner("nrf"), rule="x", severity=AlertSeverity.CRITICAL, resolved_at=None)


def test_the_api_the_status_and_the_dashboard_say_the_same(admin_client, catalogue, clock):
    outages()

    judged = {h.slug: h for h in partners_health(Partner.objects.all())}
    api = {p["slug"]: p["health"] for p in admin_client.get("/api/v1/partners/").json()["results"]}
    status = {p["partner"]: p for p in admin_client.get("/health/status/").json()["partners"]}
    cards = {c.slug: c for c in admin_client.get("/admin/monitoring/dashboard/").context["cards"]}

    expected = {
        "hsi": ("down", ["error_rate_high"]),
        "certiport": ("ok", []),
        "careersafe": ("degraded", ["calls_refused"]),
        "nds": ("down", ["breaker_open"]),
        "milady": ("degraded", ["alert_open"]),
        "nrf": ("down", ["critical_alert"]),
        "jri": ("ok", []),
    }
    assert {slug: (h.status, list(h.reasons)) for slug, h in judged.items()} == expected
    assert {slug: (h["status"], h["reasons"]) for slug, h in api.items()} == expected
    assert {slug: (s["status"], s["reasons"]) for slug, s in status.items()} == expected
    for slug, (state, _) in expected.items():
        assert api[slug]["open_alerts"] == status[slug]["open_alerts"] == cards[slug].open_alerts
        assert api[slug]["breaker"] == status[slug]["breaker"] == cards[slug].breaker
        idle = state == "ok" and not cards[slug].calls
        assert cards[slug].health == ("idle" if idle else COLOUR[state])
    assert cards["hsi"].last_success == T0 and cards["jri"].last_success is None
    assert cards["jri"].health == "idle"


def test_the_partner_list_costs_the_same_whatever_the_records(admin_client, catalogue, clock):
    admin_client.get("/api/v1/partners/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get("/api/v1/partners/").status_code == 200

    outages()
    for slug in ("hsi", "certiport", "jri"):
        log_calls(slug, 40, CallOutcome.SERVER_ERROR)
    make_alert(partner=partner("jri"), rule="partner_latency", resolved_at=None)
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get("/api/v1/partners/").status_code == 200
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get("/api/v1/partners/hsi/").status_code == 200

    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(one) == len(few) + 1  # the partner looked up by slug first, for a 404
