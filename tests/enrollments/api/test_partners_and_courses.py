"""GET /partners/ (with health), /partners/<slug>/ and /courses/."""

from decimal import Decimal

import pytest
from rest_framework.pagination import PageNumberPagination

from partners.breakers import breaker_for, reset_breakers
from partners.registry import PARTNER_SLUGS
from tests.factories import make_alert, make_course, make_partner


@pytest.fixture(autouse=True)
def closed_breakers():
    reset_breakers()
    yield
    reset_breakers()


def test_partners_list_has_exactly_the_designed_fields(api, catalogue):
    response = api.get("/api/v1/partners/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(PARTNER_SLUGS) and body["previous"] is None and body["next"] is None
    hsi = next(p for p in body["results"] if p["slug"] == "hsi")
    assert hsi == {
        "slug": "hsi",
        "name": "HSI (ASHI / MEDIC First Aid)",
        "mode": "api",  # the simulator is on in tests, so every partner runs in api mode
        "active": True,
        "health": {"status": "ok", "breaker": "closed", "open_alerts": 0, "reasons": []},
    }


def test_partner_detail_by_slug(api, catalogue):
    response = api.get("/api/v1/partners/nds/")
    assert response.status_code == 200
    assert response.json()["slug"] == "nds"


def test_unknown_partner_is_404(api, catalogue):
    response = api.get("/api/v1/partners/nope/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Partner matches the given query."}


def test_mode_follows_the_environment(api, db, monkeypatch):
    make_partner(slug="jri", mode="manual")
    monkeypatch.setenv("JRI_MODE", "roster")
    assert api.get("/api/v1/partners/jri/").json()["mode"] == "roster"


def test_a_misconfigured_mode_reads_as_down_instead_of_failing(api, db, monkeypatch):
    make_partner(slug="jri")
    monkeypatch.setenv("JRI_MODE", "carrier-pigeon")
    body = api.get("/api/v1/partners/jri/").json()
    assert body["mode"] == "misconfigured" and body["health"]["status"] == "down"


def test_health_is_down_when_the_breaker_is_open(api, db):
    make_partner(slug="nds")
    breaker_for("nds").open()
    health = api.get("/api/v1/partners/nds/").json()["health"]
    assert health == {
        "status": "down",
        "breaker": "open",
        "open_alerts": 0,
        "reasons": ["breaker_open"],
    }


def test_health_is_degraded_while_an_alert_is_open(api, db):
    partner = make_partner(slug="nrf")
    make_alert(partner=partner, resolved_at=None)
    make_alert(partner=partner)  # resolved: does not count
    partners = {p["slug"]: p for p in api.get("/api/v1/partners/").json()["results"]}
    assert partners["nrf"]["health"] == {
        "status": "degraded",
        "breaker": "closed",
        "open_alerts": 1,
        "reasons": ["alert_open"],
    }


def test_courses_have_exactly_the_designed_fields(api, catalogue):
    response = api.get("/api/v1/courses/", {"partner": "hsi"})
    assert response.status_code == 200
    course = next(c for c in response.json()["results"] if c["code"] == "ASHI-CPR-AED-ADULT")
    assert course == {
        "id": course["id"],
        "partner": "hsi",
        "code": "ASHI-CPR-AED-ADULT",
        "title": "Adult CPR and AED",
        "credential": "ASHI CPR/AED card",
        "price": "55.00",
        "validity_months": 24,
        "needs_voucher": True,
    }


def test_courses_filter_by_partner_slug(api, catalogue):
    results = api.get("/api/v1/courses/", {"partner": "certiport"}).json()["results"]
    assert results and {c["partner"] for c in results} == {"certiport"}
    assert api.get("/api/v1/courses/", {"partner": "nope"}).json()["count"] == 0


def test_only_courses_on_offer_are_listed(api, db):
    offered = make_course(retail_price=Decimal("12.50"))
    make_course(active=False)
    make_course(make_partner(active=False))
    results = api.get("/api/v1/courses/").json()["results"]
    assert [(c["id"], c["price"]) for c in results] == [(offered.pk, "12.50")]


def test_pagination_shape_and_pages(api, db, monkeypatch):
    monkeypatch.setattr(PageNumberPagination, "page_size", 2)
    for _ in range(5):
        make_course()
    first = api.get("/api/v1/courses/").json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 5 and len(first["results"]) == 2
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/courses/?page=2"
    last = api.get("/api/v1/courses/", {"page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert last["previous"] == "http://testserver/api/v1/courses/?page=2"
    seen = {
        c["id"]
        for page in (1, 2, 3)
        for c in api.get(f"/api/v1/courses/?page={page}").json()["results"]
    }
    assert len(seen) == 5  # a stable order: no row on two pages


def test_a_page_past_the_end_is_404(api, db):
    make_course()
    response = api.get("/api/v1/courses/", {"page": 9})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}
