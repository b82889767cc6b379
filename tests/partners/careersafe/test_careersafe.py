"""CareerSafe's own behaviour: temporary passwords, group enrolment, gradebook statuses."""

import json
from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from monitoring.models import PartnerRequestLog
from partners.careersafe.adapter import CareerSafeAdapter
from partners.results import EnrollmentRequest, StudentInfo
from partners.simulator import state
from partners.simulator.models import SimEnrollment
from tests.partners.conftest import STUDENT, url

PASSWORD = "Tmp-9f3k2LQ"


def logged_text(slug="careersafe"):
    return json.dumps(
        list(PartnerRequestLog.objects.filter(partner__slug=slug).values()), default=str
    )


def test_capabilities():
    assert CareerSafeAdapter.supports_group_enrollment
    assert CareerSafeAdapter.account_fields.temporary_password == "temporary_password"
    assert "api_secret" in CareerSafeAdapter.required_settings


def test_auth_headers(careersafe):
    assert careersafe.auth_headers() == {
        "X-API-Key": careersafe.config.api_key,
        "X-API-Secret": careersafe.config.api_secret,
        "X-Organization-Code": careersafe.config.organization_id,
    }


# -- the temporary password ----------------------------------------------------------------


@responses.activate
def test_temporary_password_is_handed_on_and_never_kept(careersafe):
    responses.post(
        url(careersafe, "/api/members"),
        json={"member_id": "CS-M-1", "username": "ana@example.org", "temporary_password": PASSWORD},
        status=201,
    )
    account = careersafe.create_account(student=STUDENT, idempotency_key="acct")
    assert account.temporary_password == PASSWORD
    assert "temporary_password" not in account.raw
    assert PASSWORD not in json.dumps(account.raw)
    assert PASSWORD not in repr(account)
    # Nor in the request log, which keeps the (redacted) response body.
    assert PartnerRequestLog.objects.filter(partner__slug="careersafe").count() == 1
    assert PASSWORD not in logged_text()


@responses.activate
def test_existing_member_has_no_temporary_password(careersafe):
    responses.post(url(careersafe, "/api/members"), json={"member_id": "CS-M-1"})
    account = careersafe.create_account(student=STUDENT, idempotency_key="acct")
    assert account.temporary_password is None


def test_simulated_member_gets_one_temporary_password(live_careersafe):
    first = live_careersafe.create_account(student=STUDENT, idempotency_key="acct-1")
    assert first.temporary_password and "temporary_password" not in first.raw
    # The same e-mail again is the same member, who keeps the password already handed on.
    again = live_careersafe.create_account(student=STUDENT, idempotency_key="acct-2")
    assert again.external_id == first.external_id and again.temporary_password is None
    assert first.temporary_password not in logged_text()


# -- group enrolment ------------------------------------------------------------------------


@responses.activate
def test_group_enrolment_reports_each_member(careersafe):
    responses.post(
        url(careersafe, "/api/enrollments/group"),
        json={
            "group_code": "GRP-7",
            "course_code": "OSHA10-CON",
            "results": [
                {
                    "member_id": "CS-M-2",
                    "status": "failed",
                    "error_code": "no_seats",
                    "error_message": "group GRP-7 has no seats left",
                },
                {
                    "member_id": "CS-M-1",
                    "status": "enrolled",
                    "enrollment_id": "CS-E-1",
                    "gradebook_status": "Not Started",
                    "launch_url": "https://cs.example/c/1",
                },
            ],
        },
    )
    items = careersafe.enroll_group(
        group_code="GRP-7",
        course_code="OSHA10-CON",
        account_ids=["CS-M-1", "CS-M-2", "CS-M-3"],
        idempotency_key="group-1",
    )
    call = responses.calls[0]
    assert json.loads(call.request.body) == {
        "group_code": "GRP-7",
        "course_code": "OSHA10-CON",
        "member_ids": ["CS-M-1", "CS-M-2", "CS-M-3"],
    }
    assert call.request.headers["Idempotency-Key"] == "group-1"
    assert [item.account_id for item in items] == ["CS-M-1", "CS-M-2", "CS-M-3"]
    ok, refused, missing = items
    assert ok.enrollment.external_id == "CS-E-1" and ok.enrollment.status == "active"
    assert ok.error == ""
    assert refused.enrollment is None and refused.error == "no_seats: group GRP-7 has no seats left"
    assert missing.enrollment is None and missing.error == "no result for this member"


def test_simulated_group_enrolment_with_one_unknown_member(live_careersafe):
    ana = live_careersafe.create_account(student=STUDENT, idempotency_key="a")
    ben = live_careersafe.create_account(
        student=StudentInfo("S-2", "Ben", "Ng", "ben@example.org"), idempotency_key="b"
    )
    items = live_careersafe.enroll_group(
        group_code="GRP-7",
        course_code="OSHA10-GI",
        account_ids=[ana.external_id, "CS-M-NOBODY", ben.external_id],
        idempotency_key="group-1",
    )
    assert [bool(item.enrollment) for item in items] == [True, False, True]
    assert items[1].error.startswith("account_not_found")
    rows = SimEnrollment.objects.filter(partner="careersafe")
    assert rows.count() == 2
    assert {row.options["group_code"] for row in rows} == {"GRP-7"}
    # A retried group call replays the first answer: no second set of seats.
    live_careersafe.enroll_group(
        group_code="GRP-7",
        course_code="OSHA10-GI",
        account_ids=[ana.external_id, "CS-M-NOBODY", ben.external_id],
        idempotency_key="group-1",
    )
    assert rows.count() == 2


@responses.activate
def test_single_enrolment_can_take_a_group_seat(careersafe):
    responses.post(
        url(careersafe, "/api/enrollments"),
        json={"enrollment_id": "CS-E-5", "gradebook_status": "Not Started"},
        status=201,
    )
    careersafe.enroll(
        request=EnrollmentRequest(
            account_id="CS-M-1",
            course_code="OSHA30-GI",
            reference="5",
            idempotency_key="k",
            group_code="GRP-7",
        )
    )
    assert json.loads(responses.calls[0].request.body)["group_code"] == "GRP-7"


# -- gradebook --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "percent", "expected"),
    [
        ("Not Started", 0, (0, False, False, None)),
        ("In Progress", 40, (40, False, True, None)),
        ("Completed", 100, (100, True, True, None)),
        ("Completed", 97, (100, True, True, None)),
        ("Passed", 100, (100, True, True, True)),
        # The 180 days ran out: the seat is spent but nothing was completed.
        ("Lapsed", 80, (80, False, True, None)),
        ("Lapsed", 100, (99, False, True, None)),
        # A status we do not know: kept in raw, read like In Progress, never completed.
        ("Under Review", 100, (99, False, True, None)),
    ],
)
def test_gradebook_statuses(careersafe, status, percent, expected):
    body = {"gradebook_status": status, "percent_complete": percent, "completed_on": "2026-05-01"}
    progress = careersafe.read_progress(body)
    assert (
        progress.progress_percent,
        progress.completed,
        progress.started,
        progress.passed,
    ) == expected
    assert progress.raw == body
    assert (progress.completed_at is not None) is progress.completed


@responses.activate
def test_progress_reads_the_gradebook_row(careersafe):
    responses.get(
        url(careersafe, "/api/enrollments/CS-E-1/progress"),
        json={
            "enrollment_id": "CS-E-1",
            "gradebook_status": "Passed",
            "percent_complete": 100,
            "final_exam_score": 88.0,
            "completed_on": "2026-05-01",
        },
    )
    progress = careersafe.get_progress(external_enrollment_id="CS-E-1")
    assert progress.completed and progress.passed and progress.score == 88
    assert progress.completed_at.date().isoformat() == "2026-05-01"


def test_simulated_enrolment_lapses_after_180_days(live_careersafe):
    account = live_careersafe.create_account(student=STUDENT, idempotency_key="a")
    enrollment = live_careersafe.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id,
            course_code="OSHA10-GI",
            reference="1",
            idempotency_key="e",
        )
    )
    row = SimEnrollment.objects.get(partner="careersafe", external_id=enrollment.external_id)
    state.advance(row, to=70)
    SimEnrollment.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=181))
    progress = live_careersafe.get_progress(external_enrollment_id=enrollment.external_id)
    assert progress.raw["gradebook_status"] == "Lapsed"
    assert progress.progress_percent == 70 and not progress.completed
    assert live_careersafe.get_certificate(external_enrollment_id=enrollment.external_id) is None


def test_simulated_pass_shows_as_passed_with_a_card(live_careersafe):
    account = live_careersafe.create_account(student=STUDENT, idempotency_key="a")
    enrollment = live_careersafe.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id,
            course_code="OSHA10-GI",
            reference="1",
            idempotency_key="e",
        )
    )
    row = SimEnrollment.objects.get(partner="careersafe", external_id=enrollment.external_id)
    state.advance(row, to=100, passed=True)
    progress = live_careersafe.get_progress(external_enrollment_id=enrollment.external_id)
    assert progress.raw["gradebook_status"] == "Passed" and progress.passed
    card = live_careersafe.get_certificate(external_enrollment_id=enrollment.external_id)
    assert card.number == SimEnrollment.objects.get(pk=row.pk).certificate_number
    assert card.expires_at is None and card.verification_url
