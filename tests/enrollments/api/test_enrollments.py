"""GET|POST /enrollments/, GET /enrollments/<id>/ and the cancel action, without a
partner (provisioning runs on commit, which these tests' transaction never reaches)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollments.models import Enrollment, EnrollmentStatus, Voucher, VoucherStatus
from partners.errors import PartnerAuthError, PartnerRateLimitedError
from tests.factories import (
    make_certificate,
    make_course,
    make_enrollment,
    make_partner,
    make_student,
    make_voucher,
)

FIELDS = {
    "id",
    "student",
    "course",
    "partner",
    "status",
    "progress_percent",
    "score",
    "external_enrollment_id",
    "funding_source",
    "requested_at",
    "completed_at",
    "last_synced_at",
    "last_error",
    "certificate",
}


def enrol(api, **body):
    return api.post("/api/v1/enrollments/", body, format="json")


def test_create_reads_the_partner_once_and_no_certificate(api):
    # The course comes with its partner (checked active, then carried by the new
    # enrollment into the answer); a new enrollment's certificate is known to be none.
    student, course = make_student(), make_course()
    with CaptureQueriesContext(connection) as queries:
        assert enrol(api, student=student.pk, course=course.pk).status_code == 201
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in reads if '"enrollments_certificate"' in sql]
    assert len([sql for sql in reads if '"partners_partner"' in sql]) == 1, reads


def test_create_answers_201_with_the_requested_enrollment(api):
    student, course = make_student(), make_course()
    response = enrol(api, student=student.pk, course=course.pk, funding_source="wioa")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS
    enrollment = Enrollment.objects.get()
    assert body["id"] == enrollment.pk
    assert (body["student"], body["course"], body["partner"]) == (
        student.pk,
        course.pk,
        course.partner.slug,
    )
    assert body["status"] == "requested" and body["funding_source"] == "wioa"
    assert body["certificate"] is None and body["progress_percent"] == 0


def test_funding_source_defaults_to_other(api):
    body = enrol(api, student=make_student().pk, course=make_course().pk).json()
    assert body["funding_source"] == "other"


def test_a_second_open_enrollment_is_409(api):
    student, course = make_student(), make_course()
    assert enrol(api, student=student.pk, course=course.pk).status_code == 201
    response = enrol(api, student=student.pk, course=course.pk)
    assert response.status_code == 409
    assert response.json()["code"] == "enrollment_conflict"
    assert "already has an open enrollment" in response.json()["detail"]
    assert Enrollment.objects.count() == 1


def test_after_completion_a_new_enrollment_is_allowed(api):
    done = make_enrollment(status=EnrollmentStatus.COMPLETED, progress_percent=100)
    response = enrol(api, student=done.student_id, course=done.course_id)
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"student": ["This field is required."], "course": ["This field is required."]}),
        (
            {"student": 999999, "course": 999999, "funding_source": "lottery"},
            {
                "student": ['Invalid pk "999999" - object does not exist.'],
                "course": ['Invalid pk "999999" - object does not exist.'],
                "funding_source": ['"lottery" is not a valid choice.'],
            },
        ),
        (
            {"student": "x", "course": None},
            {
                "student": ["Incorrect type. Expected pk value, received str."],
                "course": ["This field may not be null."],
            },
        ),
    ],
)
def test_bad_input_is_400_with_field_errors(api, body, errors):
    response = enrol(api, **body)
    assert response.status_code == 400
    assert response.json() == errors
    assert not Enrollment.objects.exists()


def test_no_voucher_left_is_409_with_its_own_code(api):
    course = make_course(needs_voucher=True)
    response = enrol(api, student=make_student().pk, course=course.pk)
    assert response.status_code == 409
    assert response.json()["code"] == "no_voucher_available"
    assert "voucher" in response.json()["detail"]
    assert not Enrollment.objects.exists()


def test_a_voucher_is_taken_when_the_course_needs_one(api):
    course = make_course(needs_voucher=True)
    voucher = make_voucher(partner=course.partner)
    assert enrol(api, student=make_student().pk, course=course.pk).status_code == 201
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.ASSIGNED


def test_a_course_no_longer_offered_is_409(api):
    course = make_course(active=False)
    response = enrol(api, student=make_student().pk, course=course.pk)
    assert response.status_code == 409 and response.json()["code"] == "invalid_state"


def test_retrieve_nests_the_certificate(api):
    issued = timezone.now() - timedelta(days=1)
    cert = make_certificate(issued_at=issued, url="https://cert.example/c/1")
    body = api.get(f"/api/v1/enrollments/{cert.enrollment_id}/").json()
    assert body["status"] == "completed" and body["progress_percent"] == 100
    assert body["certificate"] == {
        "number": cert.number,
        "issued_at": issued.isoformat().replace("+00:00", "Z"),
        "expires_at": None,
        "url": "https://cert.example/c/1",
        "verification_url": "",
        "source": "manual",
    }


def test_unknown_enrollment_is_404_everywhere(api, db):
    assert api.get("/api/v1/enrollments/987654/").status_code == 404
    for action in ("launch", "sync", "cancel"):
        response = api.post(f"/api/v1/enrollments/987654/{action}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "No Enrollment matches the given query."}


def test_list_filters(api):
    hsi, nds = make_partner(slug="hsi"), make_partner(slug="nds")
    a = make_enrollment(course=make_course(hsi))
    b = make_enrollment(course=make_course(nds), status=EnrollmentStatus.ACTIVE)
    c = make_enrollment(student=a.student, course=make_course(nds))

    def ids(**params) -> list[int]:
        response = api.get("/api/v1/enrollments/", params)
        assert response.status_code == 200
        return sorted(e["id"] for e in response.json()["results"])

    assert ids() == sorted([a.pk, b.pk, c.pk])
    assert ids(partner="nds") == sorted([b.pk, c.pk])
    assert ids(status="active") == [b.pk]
    assert ids(student=a.student_id) == sorted([a.pk, c.pk])
    assert ids(course=b.course_id) == [b.pk]
    assert ids(partner="nds", student=a.student_id) == [c.pk]
    assert ids(student=123456) == []


@pytest.mark.parametrize("params", [{"status": "sleeping"}, {"student": "1.5"}, {"course": "x"}])
def test_malformed_filters_are_400(api, db, params):
    response = api.get("/api/v1/enrollments/", params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


def test_cancel_answers_the_cancelled_enrollment_and_releases_its_voucher(api):
    course = make_course(needs_voucher=True)
    make_voucher(partner=course.partner)
    created = enrol(api, student=make_student().pk, course=course.pk).json()
    response = api.post(f"/api/v1/enrollments/{created['id']}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert Voucher.objects.get().status == VoucherStatus.AVAILABLE

    again = api.post(f"/api/v1/enrollments/{created['id']}/cancel/")
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"


@pytest.mark.parametrize("action", ["launch", "sync"])
def test_actions_before_the_partner_knows_the_enrollment_are_409(api, action):
    enrollment = make_enrollment()
    response = api.post(f"/api/v1/enrollments/{enrollment.pk}/{action}/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This enrollment has not reached the partner yet.",
        "code": "invalid_state",
    }


def test_a_rate_limited_partner_is_503_with_retry_after(api, monkeypatch):
    def rate_limited(**kwargs):
        raise PartnerRateLimitedError("slow down", retry_after=30, partner="nds", status=429)

    monkeypatch.setattr("enrollments.services.enrollment_sync_progress", rate_limited)
    response = api.post(f"/api/v1/enrollments/{make_enrollment().pk}/sync/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["code"] == "partner_unavailable"


def test_a_partner_refusing_is_502(api, monkeypatch):
    def refused(**kwargs):
        raise PartnerAuthError("bad key", partner="nds", operation="sso", status=401)

    monkeypatch.setattr("enrollments.services.enrollment_launch_url", refused)
    response = api.post(f"/api/v1/enrollments/{make_enrollment().pk}/launch/")
    assert response.status_code == 502
    assert response.json() == {
        "detail": "The partner refused or answered something unusable "
        "(nds sso: bad key (HTTP 401)).",
        "code": "partner_error",
    }


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/api/v1/enrollments/", lambda: make_certificate().enrollment),
        ("/api/v1/certificates/", make_certificate),
        ("/api/v1/courses/", make_course),
        ("/api/v1/partners/", make_partner),
    ],
)
def test_a_page_costs_the_same_queries_whatever_its_length(api, url, make):
    make()
    with CaptureQueriesContext(connection) as one_row:
        api.get(url)
    for _ in range(5):
        make()
    with CaptureQueriesContext(connection) as six_rows:
        body = api.get(url).json()
    assert body["count"] >= 6
    assert len(six_rows) == len(one_row)
