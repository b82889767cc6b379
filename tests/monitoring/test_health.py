"""Liveness, readiness and the detailed status (monitoring/health.py).

Readiness (/health/ready/, and /health/ for older load balancer settings) follows the
database alone: a broker or cache outage leaves it at 200, an unreachable database makes
it 503. The detailed status (/health/status/) reports everything and always answers 200.
Liveness (/health/live/) touches nothing. Outages here are real: a broker URL on a closed
port, a database whose connection settings lead nowhere, a cache that raises."""

import socket

import pytest
from django.db import connection, connections

from monitoring.models import Alert, AlertSeverity
from partners.breakers import breaker_for
from partners.models import Partner
from partners.registry import PARTNER_SLUGS

pytestmark = pytest.mark.usefixtures("catalogue")

PARTNERS = sorted(PARTNER_SLUGS)  # every partner of the registry, by slug
READINESS = ["/health/ready/", "/health/"]
BROKEN_CACHE = {"default": {"BACKEND": "tests.monitoring.broken_cache.UnreachableCache"}}


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker_down(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{unused_port()}/0"


@pytest.fixture
def database_down(tmp_path):
    """Every connection opened from now on fails, as when the database is unreachable.

    The checks run in other threads, each opening its own connection from this shared
    settings dict; the test's own connection (inside its transaction) stays open."""
    settings_dict = connections.settings["default"]
    assert settings_dict is connection.settings_dict
    saved = dict(settings_dict)
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "db.sqlite3")
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(unused_port()))
    yield
    settings_dict.clear()
    settings_dict.update(saved)


# --- liveness -----------------------------------------------------------------------


def test_liveness_touches_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_liveness_answers_with_everything_down(client, settings, broker_down, database_down):
    settings.CACHES = BROKEN_CACHE

    response = client.get("/health/live/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# --- readiness ----------------------------------------------------------------------


@pytest.mark.parametrize("url", READINESS)
def test_readiness_is_the_database(client, url):
    response = client.get(url)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert list(body["checks"]) == ["database"]
    assert body["checks"]["database"]["ok"] is True
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize("url", READINESS)
def test_readiness_stays_200_while_the_broker_is_down(client, broker_down, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("url", READINESS)
def test_readiness_stays_200_while_the_cache_is_down(client, settings, url):
    settings.CACHES = BROKEN_CACHE

    assert client.get(url).status_code == 200


def test_readiness_stays_200_during_a_partner_outage(client):
    breaker_for("hsi").open()

    assert client.get("/health/ready/").status_code == 200


@pytest.mark.parametrize("url", READINESS)
def test_an_unreachable_database_is_503_json(client, database_down, url):
    response = client.get(url)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["detail"]


# --- detailed status ------------------------------------------------------------------


def test_status_reports_checks_partners_and_alerts(client, settings):
    settings.CELERY_BROKER_URL = ""
    hsi = Partner.objects.get(slug="hsi")
    Alert.objects.create(
        partner=hsi, rule="partner_error_rate", severity=AlertSeverity.CRITICAL, message="x"
    )
    Alert.objects.create(rule="voucher_stock_low", message="y")

    response = client.get("/health/status/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["ready"] is True
    assert set(body["checks"]) == {"database", "cache"}  # no broker configured: not checked
    assert [p["partner"] for p in body["partners"]] == PARTNERS
    hsi = next(p for p in body["partners"] if p["partner"] == "hsi")
    assert hsi["open_alerts"] == 1
    assert (hsi["status"], hsi["reasons"]) == ("down", ["critical_alert"])  # partners.health
    assert body["status"] == "ok"  # a partner's health is not the service's own
    assert {(a["rule"], a["partner"], a["severity"]) for a in body["alerts"]} == {
        ("partner_error_rate", "hsi", "critical"),
        ("voucher_stock_low", None, "warning"),
    }
    assert all("message" not in a for a in body["alerts"])  # no login: details stay inside
    assert response["Cache-Control"].startswith("max-age=0")


def test_status_reports_a_down_broker_with_200(client, broker_down):
    response = client.get("/health/status/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and body["ready"] is True
    assert body["checks"]["broker"]["ok"] is False
    assert "broker unreachable" in body["checks"]["broker"]["detail"]
    assert body["checks"]["database"]["ok"] is True
    assert [p["partner"] for p in body["partners"]] == PARTNERS


def test_status_reports_a_down_cache_with_200(client, settings):
    settings.CACHES = BROKEN_CACHE

    response = client.get("/health/status/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["ok"] is False


def test_status_reports_a_partner_outage_with_200(client):
    breaker_for("hsi").open()

    response = client.get("/health/status/")

    assert response.status_code == 200
    hsi = next(p for p in response.json()["partners"] if p["partner"] == "hsi")
    assert hsi["breaker"] == "open"
    assert (hsi["status"], hsi["reasons"]) == ("down", ["breaker_open"])


def test_status_reports_an_unreachable_database_with_200(client, database_down):
    response = client.get("/health/status/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "unavailable" and body["ready"] is False
    assert body["checks"]["database"]["ok"] is False
    assert body["partners"] is None and body["alerts"] is None  # unknown, not "none"


def test_status_reports_a_reachable_broker(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url

    response = client.get("/health/status/")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["ok"] is True
