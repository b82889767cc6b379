"""The API against the partner simulator over real HTTP: enrol, launch, sync to completion
and certificate, cancel; partner failures answer 502/503, never 500."""

from datetime import datetime

import pytest
import requests
from django.utils import timezone

from enrollments.models import Enrollment
from partners.breakers import breaker_for
from partners.models import PartnerCourse
from partners.registry import get_adapter
from partners.simulator.faults import set_faults
from partners.simulator.models import SimEnrollment
from tests import simulator_state
from tests.factories import make_student


@pytest.fixture
def provisioned(live_simulator, api) -> dict:
    """An NDS enrollment created through the API and provisioned at the simulator."""
    course = PartnerCourse.objects.filter(partner__slug="nds", needs_voucher=False).first()
    body = {"student": make_student().pk, "course": course.pk}
    response = api.post("/api/v1/enrollments/", body, format="json")
    assert response.status_code == 201
    # Provisioning ran in-process once the enrollment was committed.
    return api.get(f"/api/v1/enrollments/{response.json()['id']}/").json()


def advance(enrollment: dict, **how) -> None:
    simulator_state.advance("nds", enrollment["external_enrollment_id"], **how)


def test_a_created_enrollment_reaches_the_partner(provisioned):
    assert provisioned["status"] in ("submitted", "active")
    assert provisioned["external_enrollment_id"]
    assert SimEnrollment.objects.filter(external_id=provisioned["external_enrollment_id"]).exists()


def test_launch_answers_a_time_limited_url_that_opens_the_course(api, provisioned, live_simulator):
    response = api.post(f"/api/v1/enrollments/{provisioned['id']}/launch/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"url", "expires_at"}
    assert body["url"].startswith(live_simulator.url)
    assert datetime.fromisoformat(body["expires_at"]) > timezone.now()
    assert requests.get(body["url"], timeout=10).status_code == 200  # the simulator's player


def test_sync_takes_progress_then_completion_and_the_certificate(api, provisioned):
    url = f"/api/v1/enrollments/{provisioned['id']}/sync/"
    advance(provisioned, to=45)
    response = api.post(url)
    assert response.status_code == 200
    body = response.json()
    assert body["progress_percent"] == 45 and body["status"] == "active"
    assert body["last_synced_at"] is not None and body["certificate"] is None

    advance(provisioned, to=100)
    body = api.post(url).json()
    assert body["status"] == "completed" and body["completed_at"] is not None
    number = SimEnrollment.objects.get(
        external_id=provisioned["external_enrollment_id"]
    ).certificate_number
    assert body["certificate"]["number"] == number and body["certificate"]["source"] == "api"
    listed = api.get("/api/v1/certificates/", {"partner": "nds"}).json()["results"]
    assert [c["enrollment"] for c in listed] == [provisioned["id"]]


def test_cancel_then_the_student_may_enrol_again(api, provisioned):
    response = api.post(f"/api/v1/enrollments/{provisioned['id']}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert api.post(f"/api/v1/enrollments/{provisioned['id']}/launch/").status_code == 409
    again = {"student": provisioned["student"], "course": provisioned["course"]}
    assert api.post("/api/v1/enrollments/", again, format="json").status_code == 201


def test_a_partner_outage_is_503(api, provisioned):
    get_adapter("nds").client.sleep = lambda seconds: None  # the client's backoff
    set_faults("nds", error_rate=1.0)
    response = api.post(f"/api/v1/enrollments/{provisioned['id']}/sync/")
    assert response.status_code == 503
    assert response.json()["code"] == "partner_unavailable"
    assert "try again later" in response.json()["detail"]


def test_an_open_breaker_is_503_without_calling_the_partner(api, provisioned):
    breaker_for("nds").open()
    response = api.post(f"/api/v1/enrollments/{provisioned['id']}/launch/")
    assert response.status_code == 503
    assert response.json()["code"] == "partner_unavailable"


def test_a_partner_refusal_is_502(api, provisioned):
    # The partner no longer knows this enrollment: a 404 there, a permanent error here.
    Enrollment.objects.filter(pk=provisioned["id"]).update(external_enrollment_id="GONE-1")
    response = api.post(f"/api/v1/enrollments/{provisioned['id']}/sync/")
    assert response.status_code == 502
    assert response.json()["code"] == "partner_error"
