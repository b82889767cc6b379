"""NRF RISE Up's own behaviour: voucher codes, the data envelope, three-year credentials,
the PENDING certificate link and credential verification."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from partners.errors import PartnerInvalidResponseError, PartnerNotFoundError, PartnerRejectedError
from partners.results import EnrollmentRequest
from partners.simulator import state
from partners.simulator.models import SimEnrollment
from tests.partners.conftest import STUDENT, url


def enrol(adapter, *, voucher="", key="enrol-1"):
    account = adapter.create_account(student=STUDENT, idempotency_key="acct-S-1")
    return adapter.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id,
            course_code="RISEUP-RIF",
            reference="7",
            idempotency_key=key,
            voucher_code=voucher,
        )
    )


def earn_credential(adapter):
    enrollment = enrol(adapter, voucher="RU-VCH-1")
    row = SimEnrollment.objects.get(partner="nrf", external_id=enrollment.external_id)
    state.advance(row, to=100, score=Decimal(82), passed=True)
    row.refresh_from_db()
    return adapter.get_certificate(external_enrollment_id=enrollment.external_id), row


# -- enrolment and the voucher code ------------------------------------------------------


def enrol_mock(adapter):
    responses.add(
        "POST",
        url(adapter, "/api/v1/learners"),
        json={"data": {"learnerId": "NRF-L-1"}},
        status=201,
    )
    responses.add(
        "POST",
        url(adapter, "/api/v1/enrollments"),
        json={"data": {"enrollmentId": "NRF-E-1", "state": "ENROLLED"}},
        status=201,
    )


@responses.activate
def test_voucher_code_is_sent(nrf):
    enrol_mock(nrf)
    enrollment = enrol(nrf, voucher="RU-VCH-77")
    sent = json.loads(responses.calls[1].request.body)
    assert sent["voucherCode"] == "RU-VCH-77" and sent["credentialCode"] == "RISEUP-RIF"
    assert enrollment.external_id == "NRF-E-1" and enrollment.status == "active"


@responses.activate
def test_no_voucher_sends_no_voucher_field(nrf):
    enrol_mock(nrf)
    enrol(nrf)
    assert "voucherCode" not in json.loads(responses.calls[1].request.body)


def test_simulator_refuses_a_voucher_used_twice(live_nrf):
    enrol(live_nrf, voucher="RU-VCH-1", key="enrol-1")
    with pytest.raises(PartnerRejectedError) as caught:
        enrol(live_nrf, voucher="RU-VCH-1", key="enrol-2")
    assert caught.value.status == 409 and "voucher_redeemed" in caught.value.excerpt


@responses.activate
def test_an_answer_outside_the_envelope_is_invalid(nrf):
    responses.add("POST", url(nrf, "/api/v1/learners"), json={"learnerId": "NRF-L-1"}, status=201)
    with pytest.raises(PartnerInvalidResponseError, match="data"):
        nrf.create_account(student=STUDENT, idempotency_key="k")


# -- progress, certificate and its three years -------------------------------------------


@responses.activate
def test_failed_exam_is_not_a_completion(nrf):
    responses.add(
        "GET",
        url(nrf, "/api/v1/enrollments/NRF-E-1/progress"),
        json={
            "data": {
                "state": "IN_PROGRESS",
                "percentComplete": 100,
                "exam": {"status": "FAILED", "score": 61},
            }
        },
    )
    progress = nrf.get_progress(external_enrollment_id="NRF-E-1")
    assert not progress.completed and progress.passed is False
    assert progress.score == Decimal(61) and progress.progress_percent == 100


@responses.activate
@pytest.mark.parametrize("status", ["NOT_EARNED", "PENDING"])
def test_no_certificate_yet(nrf, status):
    responses.add(
        "GET",
        url(nrf, "/api/v1/enrollments/NRF-E-1/certificate"),
        json={"data": {"status": status, "credentialId": None}},
    )
    assert nrf.get_certificate(external_enrollment_id="NRF-E-1") is None


@responses.activate
def test_certificate_of_an_unknown_enrollment_is_an_error(nrf):
    # RISE Up says "not yet" with a 200; a 404 is an enrollment it does not know.
    responses.add(
        "GET",
        url(nrf, "/api/v1/enrollments/NRF-E-X/certificate"),
        json={"errors": [{"code": "enrollment_not_found", "detail": "no enrollment"}]},
        status=404,
    )
    with pytest.raises(PartnerNotFoundError):
        nrf.get_certificate(external_enrollment_id="NRF-E-X")


def test_credentials_last_three_years(live_nrf):
    certificate, row = earn_credential(live_nrf)
    assert certificate.number == row.certificate_number
    assert certificate.expires_at == certificate.issued_at + relativedelta(years=3)
    assert certificate.verification_url and certificate.url


def test_sso_token_lifetime_in_seconds(live_nrf):
    enrollment = enrol(live_nrf)
    launch = live_nrf.sso_launch_url(
        account_id=enrollment.raw["learnerId"], external_enrollment_id=enrollment.external_id
    )
    assert launch.raw["token"] and launch.raw["token"] in launch.url
    remaining = launch.expires_at - timezone.now()
    assert timedelta(seconds=250) < remaining <= timedelta(seconds=launch.raw["expiresIn"])


# -- credential verification -------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize(
    ("answer", "valid", "status"),
    [("VALID", True, "valid"), ("EXPIRED", False, "expired"), ("REVOKED", False, "revoked")],
)
def test_verify_credential(nrf, answer, valid, status):
    assert nrf.paths.verify_certificate
    responses.add(
        "GET",
        url(nrf, "/api/v1/credentials/NRF-CRED-9/verify"),
        json={"data": {"credentialId": "NRF-CRED-9", "status": answer}},
    )
    result = nrf.verify_certificate(number="NRF-CRED-9")
    assert (result.valid, result.status) == (valid, status)


def test_simulated_verification(live_nrf):
    certificate, row = earn_credential(live_nrf)
    assert live_nrf.verify_certificate(number=certificate.number).status == "valid"

    row.certificate_expires_at = timezone.now() - timedelta(days=1)
    row.save(update_fields=["certificate_expires_at"])
    expired = live_nrf.verify_certificate(number=certificate.number)
    assert not expired.valid and expired.status == "expired"

    row.options = {**row.options, "revoked": True}
    row.save(update_fields=["options"])
    revoked = live_nrf.verify_certificate(number=certificate.number)
    assert not revoked.valid and revoked.status == "revoked"

    unknown = live_nrf.verify_certificate(number="NRF-C-UNKNOWN")
    assert not unknown.valid and unknown.status == "not_found"
