"""NDS's own behaviour: certificate expiry per course (none for DOT supervisor training),
offset-less timestamps, and the status call."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses
from dateutil.relativedelta import relativedelta

from partners.results import EnrollmentRequest
from partners.simulator import state
from partners.simulator.models import SimEnrollment
from tests.partners.conftest import STUDENT


def certificate_mock(adapter, expires_on):
    responses.add(
        "GET",
        adapter.config.base_url + "/api/enrollments/NDS-E-1/certificate",
        json={
            "CertificateNumber": "NDS-CERT-1",
            "IssuedOn": "2026-03-01T10:00:00",
            "ExpiresOn": expires_on,
        },
    )


@responses.activate
def test_certificate_with_an_expiry(nds):
    certificate_mock(nds, "2027-03-01T10:00:00")
    certificate = nds.get_certificate(external_enrollment_id="NDS-E-1")
    # NDS sends no offset: the times are UTC.
    assert certificate.issued_at == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert certificate.expires_at == datetime(2027, 3, 1, 10, tzinfo=UTC)


@responses.activate
def test_dot_supervisor_certificate_has_no_expiry(nds):
    certificate_mock(nds, None)
    certificate = nds.get_certificate(external_enrollment_id="NDS-E-1")
    assert certificate.number == "NDS-CERT-1" and certificate.expires_at is None


@responses.activate
def test_auth_headers(nds):
    certificate_mock(nds, None)
    nds.get_certificate(external_enrollment_id="NDS-E-1")
    sent = responses.calls[0].request.headers
    assert sent["X-API-Key"] == nds.config.api_key
    assert sent["X-API-Secret"] == nds.config.api_secret
    assert sent["X-Client-Id"] == nds.config.organization_id


@responses.activate
def test_failed_status(nds):
    responses.add(
        "GET",
        nds.config.base_url + "/api/enrollments/NDS-E-1/status",
        json={"Status": "Failed", "PercentComplete": 100, "Score": 60, "Passed": False},
    )
    progress = nds.get_progress(external_enrollment_id="NDS-E-1")
    assert not progress.completed and progress.started and progress.passed is False
    assert progress.score == Decimal(60)


def completed(adapter, course_code):
    account = adapter.create_account(student=STUDENT, idempotency_key="acct-S-1")
    enrollment = adapter.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id,
            course_code=course_code,
            reference=course_code,
            idempotency_key=f"enrol-{course_code}",
        )
    )
    row = SimEnrollment.objects.get(partner="nds", external_id=enrollment.external_id)
    state.advance(row, to=100, score=Decimal(90), passed=True)
    row.refresh_from_db()
    progress = adapter.get_progress(external_enrollment_id=enrollment.external_id)
    assert progress.completed and progress.completed_at == row.completed_at
    return adapter.get_certificate(external_enrollment_id=enrollment.external_id), row


@pytest.mark.parametrize(("course_code", "months"), [("NDS-DOT-SUP", None), ("NDS-DFWP-SUP", 12)])
def test_simulated_expiry_per_course(live_nds, course_code, months):
    certificate, row = completed(live_nds, course_code)
    assert certificate.number == row.certificate_number
    assert certificate.issued_at == row.certificate_issued_at
    expected = row.certificate_issued_at + relativedelta(months=months) if months else None
    assert certificate.expires_at == expected
