"""Certiport's own behaviour: exam vouchers, practice-test progress, score out of 1000."""

import json
from decimal import Decimal

import pytest
import responses

from partners.certiport.adapter import CertiportAdapter, exam_passed
from partners.errors import PartnerNotFoundError, PartnerRejectedError
from partners.results import EnrollmentRequest
from partners.simulator import state
from partners.simulator.models import SimEnrollment, SimVoucher
from tests.partners.conftest import STUDENT, url


def sent(call):
    return json.loads(call.request.body)


def test_bearer_key_and_organisation_no_secret():
    assert CertiportAdapter.required_settings == ("api_base_url", "api_key", "organization_id")
    assert CertiportAdapter.enrollment_fields.extras["voucher_code"] == "voucherCode"


def test_auth_headers(certiport):
    headers = certiport.auth_headers()
    assert headers["Authorization"] == f"Bearer {certiport.config.api_key}"
    assert headers["X-Organization-Id"] == certiport.config.organization_id
    assert certiport.config.api_secret not in headers.values()


# -- vouchers ---------------------------------------------------------------------------


@responses.activate
def test_generate_voucher_for_the_exam(certiport):
    responses.post(
        url(certiport, "/api/v2/vouchers"),
        json={"voucherCode": "CP-V-1", "examCode": "MO-210", "expiresOn": "2027-01-31T00:00:00Z"},
        status=201,
    )
    voucher = certiport.generate_voucher(
        course_code="MO-210", account_id="CP-U-1", idempotency_key="voucher-7"
    )
    assert voucher.code == "CP-V-1" and voucher.course_code == "MO-210"
    assert voucher.expires_at.year == 2027
    call = responses.calls[0]
    assert sent(call) == {"userId": "CP-U-1", "examCode": "MO-210"}
    assert call.request.headers["Idempotency-Key"] == "voucher-7"


@responses.activate
def test_enrol_generates_a_voucher_under_its_own_derived_key(certiport):
    responses.post(url(certiport, "/api/v2/vouchers"), json={"voucherCode": "CP-V-2"}, status=201)
    responses.post(
        url(certiport, "/api/v2/enrollments"),
        json={"enrollmentId": "CP-E-2", "status": "Registered"},
        status=201,
    )
    enrollment = certiport.enroll(
        request=EnrollmentRequest(
            account_id="CP-U-1", course_code="MO-110", reference="9", idempotency_key="enrol-9"
        )
    )
    voucher_call, enrol_call = responses.calls
    assert voucher_call.request.headers["Idempotency-Key"] == "enrol-9:voucher"
    assert enrol_call.request.headers["Idempotency-Key"] == "enrol-9"
    assert sent(enrol_call)["voucherCode"] == "CP-V-2"
    assert enrollment.external_id == "CP-E-2" and enrollment.status == "active"


@responses.activate
def test_enrol_with_a_voucher_from_stock_skips_generation(certiport):
    responses.post(
        url(certiport, "/api/v2/enrollments"),
        json={"enrollmentId": "CP-E-3", "status": "Registered"},
        status=201,
    )
    certiport.enroll(
        request=EnrollmentRequest(
            account_id="CP-U-1",
            course_code="MO-110",
            reference="10",
            idempotency_key="enrol-10",
            voucher_code="STOCK-1",
            group_code="SPRING-COHORT",
        )
    )
    [call] = responses.calls  # no voucher call
    assert sent(call) == {
        "userId": "CP-U-1",
        "examCode": "MO-110",
        "voucherCode": "STOCK-1",
        "externalReference": "10",
        "examGroup": "SPRING-COHORT",
    }


def test_simulated_voucher_is_redeemed_once(live_certiport):
    account = live_certiport.create_account(student=STUDENT, idempotency_key="acct")
    voucher = live_certiport.generate_voucher(
        course_code="MO-110", account_id=account.external_id, idempotency_key="v-1"
    )
    first = live_certiport.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id,
            course_code="MO-110",
            reference="1",
            idempotency_key="enrol-1",
            voucher_code=voucher.code,
        )
    )
    assert SimVoucher.objects.get(partner="certiport", code=voucher.code).used
    with pytest.raises(PartnerRejectedError) as reused:
        live_certiport.enroll(
            request=EnrollmentRequest(
                account_id=account.external_id,
                course_code="MO-110",
                reference="2",
                idempotency_key="enrol-2",
                voucher_code=voucher.code,
            )
        )
    assert reused.value.status == 409 and "voucher_used" in reused.value.excerpt
    # A code Certiport did not generate through the API is one from the stock the
    # organisation bought: good once, refused the second time.
    stock = {"voucher_code": "CP-STOCK-0001"}
    stocked = live_certiport.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id,
            course_code="MO-110",
            reference="3",
            idempotency_key="enrol-3",
            **stock,
        )
    )
    with pytest.raises(PartnerRejectedError) as again:
        live_certiport.enroll(
            request=EnrollmentRequest(
                account_id=account.external_id,
                course_code="MO-110",
                reference="4",
                idempotency_key="enrol-4",
                **stock,
            )
        )
    assert again.value.status == 409
    assert sorted(
        SimEnrollment.objects.filter(partner="certiport").values_list("external_id", flat=True)
    ) == sorted([first.external_id, stocked.external_id])


def test_simulated_voucher_for_another_exam_is_refused(live_certiport):
    account = live_certiport.create_account(student=STUDENT, idempotency_key="acct")
    voucher = live_certiport.generate_voucher(
        course_code="MO-210", account_id=account.external_id, idempotency_key="v-1"
    )
    with pytest.raises(PartnerRejectedError, match="422"):
        live_certiport.enroll(
            request=EnrollmentRequest(
                account_id=account.external_id,
                course_code="MO-110",
                reference="1",
                idempotency_key="enrol-1",
                voucher_code=voucher.code,
            )
        )


def test_a_retried_enrolment_buys_one_voucher(live_certiport):
    account = live_certiport.create_account(student=STUDENT, idempotency_key="acct")
    for _ in range(2):
        live_certiport.enroll(
            request=EnrollmentRequest(
                account_id=account.external_id,
                course_code="MO-110",
                reference="1",
                idempotency_key="enrol-1",
            )
        )
    assert SimVoucher.objects.filter(partner="certiport").count() == 1
    assert SimEnrollment.objects.filter(partner="certiport").count() == 1


# -- practice tests and the exam ---------------------------------------------------------


def status_body(*, completed=0, total=5, score=None, result=None, taken=None, status=""):
    return {
        "enrollmentId": "CP-E-1",
        "status": status,
        "practiceTests": {"completed": completed, "total": total},
        "exam": {
            "score": score,
            "maxScore": 1000,
            "passingScore": 700,
            "result": result,
            "takenOn": taken,
        },
    }


@pytest.mark.parametrize(
    ("body", "percent", "completed", "passed", "score"),
    [
        (status_body(), 0, False, None, None),
        (status_body(completed=3), 60, False, None, None),
        # All practice done but no pass yet: not 100, which downstream reads as done.
        (status_body(completed=5), 99, False, None, None),
        # Certiport gives only a score: 700 of 1000 passes.
        (status_body(completed=5, score=650), 99, False, False, Decimal(650)),
        (status_body(completed=2, score=700), 100, True, True, Decimal(700)),
        (
            status_body(completed=5, score=850, taken="2026-04-02T15:00:00Z"),
            100,
            True,
            True,
            Decimal(850),
        ),
        # Certiport's own verdict wins over the score.
        (status_body(completed=5, score=710, result="Fail"), 99, False, False, Decimal(710)),
        (status_body(completed=1, result="Pass"), 100, True, True, None),
        (status_body(completed=1, status="Passed"), 100, True, True, None),
        # A set without practice tests counts nothing, never divides by zero.
        (status_body(completed=0, total=0), 0, False, None, None),
    ],
)
@responses.activate
def test_status_maps_practice_tests_and_score(certiport, body, percent, completed, passed, score):
    responses.get(url(certiport, "/api/v2/enrollments/CP-E-1/status"), json=body)
    progress = certiport.get_progress(external_enrollment_id="CP-E-1")
    assert progress.progress_percent == percent
    assert progress.completed is completed
    assert progress.passed is passed
    assert progress.score == score
    assert progress.raw == body


def test_exam_passed_threshold():
    assert exam_passed({"score": 699}) is False
    assert exam_passed({"score": "700"}) is True
    assert exam_passed({"result": "PASS", "score": 100}) is True
    assert exam_passed({}) is None


@responses.activate
def test_completion_date_is_the_exam_date(certiport):
    responses.get(
        url(certiport, "/api/v2/enrollments/CP-E-1/status"),
        json=status_body(completed=5, score=820, result="Pass", taken="2026-04-02T15:00:00Z"),
    )
    progress = certiport.get_progress(external_enrollment_id="CP-E-1")
    assert progress.completed_at.isoformat() == "2026-04-02T15:00:00+00:00"


def test_simulated_failed_exam_then_retake(live_certiport):
    account = live_certiport.create_account(student=STUDENT, idempotency_key="acct")
    enrollment = live_certiport.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id, course_code="MO-110", reference="1", idempotency_key="e"
        )
    )
    row = SimEnrollment.objects.get(partner="certiport", external_id=enrollment.external_id)

    state.advance(row, to=25)
    progress = live_certiport.get_progress(external_enrollment_id=enrollment.external_id)
    assert progress.progress_percent == 25 and progress.started and not progress.completed
    assert progress.raw["practiceTests"] == {"completed": 5, "total": 20}

    state.advance(row, to=100, score=Decimal(640), passed=False)
    progress = live_certiport.get_progress(external_enrollment_id=enrollment.external_id)
    assert (progress.progress_percent, progress.completed) == (99, False)
    assert progress.passed is False and progress.score == 640
    assert live_certiport.get_certificate(external_enrollment_id=enrollment.external_id) is None

    state.advance(row, to=100, score=Decimal(780), passed=True)
    progress = live_certiport.get_progress(external_enrollment_id=enrollment.external_id)
    assert progress.completed and progress.passed and progress.score == 780
    assert progress.completed_at is not None
    card = live_certiport.get_certificate(external_enrollment_id=enrollment.external_id)
    assert card.number == SimEnrollment.objects.get(pk=row.pk).certificate_number
    assert card.expires_at is None


def test_simulated_unknown_enrollment_is_not_found(live_certiport):
    with pytest.raises(PartnerNotFoundError):
        live_certiport.get_progress(external_enrollment_id="CP-E-NOPE")


@responses.activate
def test_sso_token_is_not_kept_in_raw(certiport):
    responses.post(
        url(certiport, "/api/v2/sso/token"),
        json={
            "ssoToken": "tok-1",
            "launchUrl": "https://c.example/sso?token=tok-1",
            "expiresIn": 120,
        },
    )
    launch = certiport.sso_launch_url(account_id="CP-U-1")
    assert launch.url.endswith("tok-1") and "ssoToken" not in launch.raw


@pytest.mark.parametrize(
    ("data", "percent"),
    [
        ({"progress_percent": 100, "passed": False, "score": 640}, 99),
        ({"progress_percent": 100, "passed": True, "score": 820}, 100),
        ({"progress_percent": 40}, 40),
    ],
)
def test_webhook_progress_keeps_100_for_a_pass(certiport, data, percent):
    payload = {"type": "progress.updated", "data": {"enrollment_id": "CP-E-1", **data}}
    [event] = certiport.parse_webhook(payload=payload, webhook_id="msg_1")
    assert event.progress_percent == percent
