"""/health/ answers 200 when the database, cache and broker answer, 503 when one does not;
partners are reported but never make it fail."""

import socket

import pytest

from partners.breakers import breaker_for

pytestmark = pytest.mark.usefixtures("catalogue")


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ready_reports_checks_and_partners(client, settings):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache"}  # no broker configured: not checked
    assert all(check["ok"] for check in body["checks"].values())
    slugs = [p["partner"] for p in body["partners"]]
    assert slugs == sorted(["hsi", "certiport", "careersafe", "milady", "jri", "nrf", "nds"])
    assert {p["breaker"] for p in body["partners"]} == {"closed"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_partner_outage_is_reported_but_does_not_fail_readiness(client):
    breaker_for("hsi").open()

    response = client.get("/health/")

    assert response.status_code == 200
    hsi = next(p for p in response.json()["partners"] if p["partner"] == "hsi")
    assert hsi["breaker"] == "open"


def test_an_unreachable_cache_answers_503(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "tests.monitoring.broken_cache.UnreachableCache"},
    }

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_an_unreachable_broker_answers_503(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{unused_port()}/0"

    response = client.get("/health/")

    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False
    assert "broker unreachable" in broker["detail"]


def test_a_reachable_broker_is_ready(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["ok"] is True


def test_liveness_needs_nothing(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "tests.monitoring.broken_cache.UnreachableCache"},
    }
    response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
