"""Milady's own behaviour: the school id, promo codes, naive UTC times, "NotIssued"."""

import json
from dataclasses import replace

import pytest
import responses

from partners.errors import PartnerAuthError, PartnerNotFoundError, PartnerRejectedError
from partners.milady.adapter import MiladyAdapter
from partners.registry import clear_adapters, get_adapter
from partners.results import EnrollmentRequest
from partners.simulator import state
from partners.simulator.models import SimEnrollment
from tests.partners.conftest import STUDENT, url


def test_capabilities():
    assert MiladyAdapter.enrollment_fields.extras == {"promo_code": "PromoCode"}
    assert MiladyAdapter.required_settings == ("api_base_url", "api_key", "organization_id")


def test_school_id_header(milady):
    adapter = MiladyAdapter(replace(milady.config, organization_id="school-4411"))
    assert adapter.auth_headers() == {
        "Authorization": f"Bearer {milady.config.api_key}",
        "X-School-Id": "school-4411",
    }


# -- promo codes -------------------------------------------------------------------------


@responses.activate
def test_promo_code_is_sent(milady):
    responses.post(
        url(milady, "/api/v1/enrollments"),
        json={"EnrollmentId": "MIL-E-1", "Status": "Active", "DiscountApplied": True},
        status=201,
    )
    enrollment = milady.enroll(
        request=EnrollmentRequest(
            account_id="MIL-S-1",
            course_code="MIL-BARBER-STD",
            reference="3",
            idempotency_key="k",
            promo_code=" MILADY-SPRING ",
        )
    )
    assert json.loads(responses.calls[0].request.body) == {
        "StudentId": "MIL-S-1",
        "CourseCode": "MIL-BARBER-STD",
        "ExternalReference": "3",
        "PromoCode": "MILADY-SPRING",
    }
    assert enrollment.status == "active" and enrollment.raw["DiscountApplied"] is True


@responses.activate
def test_no_promo_code_sends_none(milady):
    responses.post(url(milady, "/api/v1/enrollments"), json={"EnrollmentId": "MIL-E-1"}, status=201)
    milady.enroll(
        request=EnrollmentRequest(
            account_id="MIL-S-1", course_code="MIL-ESTHETICS", reference="3", idempotency_key="k"
        )
    )
    assert "PromoCode" not in json.loads(responses.calls[0].request.body)


@responses.activate
def test_rejected_promo_code_is_a_permanent_refusal(milady):
    responses.post(
        url(milady, "/api/v1/enrollments"),
        json={
            "Message": "promo code SAVE10 is not valid for this school",
            "ErrorCode": "InvalidPromoCode",
        },
        status=422,
    )
    with pytest.raises(PartnerRejectedError) as refused:
        milady.enroll(
            request=EnrollmentRequest(
                account_id="MIL-S-1",
                course_code="MIL-COSMO-STD",
                reference="3",
                idempotency_key="k",
                promo_code="SAVE10",
            )
        )
    assert refused.value.status == 422 and "InvalidPromoCode" in refused.value.excerpt
    assert len(responses.calls) == 1  # never retried, even with an Idempotency-Key


def test_simulated_promo_codes(live_milady):
    account = live_milady.create_account(student=STUDENT, idempotency_key="a")
    with pytest.raises(PartnerRejectedError, match="InvalidPromoCode"):
        live_milady.enroll(
            request=EnrollmentRequest(
                account_id=account.external_id,
                course_code="MIL-COSMO-STD",
                reference="1",
                idempotency_key="e-1",
                promo_code="SAVE10",
            )
        )
    assert not SimEnrollment.objects.filter(partner="milady").exists()
    enrollment = live_milady.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id,
            course_code="MIL-COSMO-STD",
            reference="1",
            idempotency_key="e-2",
            promo_code="milady-spring",
        )
    )
    assert enrollment.raw["DiscountApplied"] is True
    row = SimEnrollment.objects.get(partner="milady", external_id=enrollment.external_id)
    assert row.options == {"PromoCode": "milady-spring"}


# -- progress, certificate, times ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "percent", "expected"),
    [
        ("NotStarted", 0, (0, False, False)),
        ("InProgress", 55, (55, False, True)),
        # Every lesson done but Milady has not said Completed (final exam open).
        ("InProgress", 100, (99, False, True)),
        ("Completed", 100, (100, True, True)),
    ],
)
@responses.activate
def test_progress_statuses(milady, status, percent, expected):
    responses.get(
        url(milady, "/api/v1/enrollments/MIL-E-1/progress"),
        json={
            "EnrollmentId": "MIL-E-1",
            "Status": status,
            "PercentComplete": percent,
            "FinalExamScore": 91.5,
            "CompletionDate": "2026-05-01T14:30:00",
        },
    )
    progress = milady.get_progress(external_enrollment_id="MIL-E-1")
    assert (progress.progress_percent, progress.completed, progress.started) == expected
    assert progress.score == 91.5


@responses.activate
def test_naive_times_are_utc(milady):
    responses.get(
        url(milady, "/api/v1/enrollments/MIL-E-1/certificate"),
        json={
            "CertificateStatus": "Issued",
            "CertificateId": "MIL-C-1",
            "IssuedDate": "2026-05-01T14:30:00",
            "ExpirationDate": "2029-05-01T14:30:00",
        },
    )
    card = milady.get_certificate(external_enrollment_id="MIL-E-1")
    assert card.issued_at.isoformat() == "2026-05-01T14:30:00+00:00"
    assert card.expires_at.year == 2029


def test_simulated_certificate_not_issued_then_issued(live_milady):
    account = live_milady.create_account(student=STUDENT, idempotency_key="a")
    enrollment = live_milady.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id,
            course_code="MIL-RISE-CUSTSVC",
            reference="1",
            idempotency_key="e",
        )
    )
    assert live_milady.get_certificate(external_enrollment_id=enrollment.external_id) is None
    row = SimEnrollment.objects.get(partner="milady", external_id=enrollment.external_id)
    state.advance(row, to=100)
    card = live_milady.get_certificate(external_enrollment_id=enrollment.external_id)
    row.refresh_from_db()
    assert card.number == row.certificate_number
    assert card.issued_at == row.certificate_issued_at


def test_simulated_unknown_enrollment_is_not_a_missing_certificate(live_milady):
    # Milady's "not yet" is a 200, so a 404 means the enrolment itself is unknown.
    with pytest.raises(PartnerNotFoundError):
        live_milady.get_certificate(external_enrollment_id="MIL-E-NOPE")


def test_simulator_refuses_a_wrong_school(live_milady, monkeypatch):
    monkeypatch.setenv("MILADY_ORGANIZATION_ID", "another-school")
    other_school = get_adapter("milady")
    monkeypatch.delenv("MILADY_ORGANIZATION_ID")
    clear_adapters()
    with pytest.raises(PartnerAuthError) as refused:
        other_school.create_account(student=STUDENT, idempotency_key="k")
    assert '"ErrorCode": "unauthorized"' in refused.value.excerpt
