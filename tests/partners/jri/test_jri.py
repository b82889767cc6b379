"""JRI's own behaviour: key-only auth, SCORM progress and certificate verification."""

from decimal import Decimal

import pytest
import responses

from partners.checks import check_partner_settings
from partners.registry import get_adapter
from partners.results import EnrollmentRequest
from partners.simulator import state
from partners.simulator.models import SimEnrollment
from tests.partners.conftest import STUDENT

BASE = "https://api.jri.test"


def completed_enrollment(adapter, course_code="JRI-CUST-101"):
    account = adapter.create_account(student=STUDENT, idempotency_key="acct-S-1")
    enrollment = adapter.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id,
            course_code=course_code,
            reference="42",
            idempotency_key=f"enrol-{course_code}",
        )
    )
    row = SimEnrollment.objects.get(partner="jri", external_id=enrollment.external_id)
    state.advance(row, to=100, score=Decimal(850), passed=True)
    return enrollment


# -- key-only auth ---------------------------------------------------------------------


@pytest.fixture
def jri_without_secret(settings, monkeypatch, catalogue):
    """JRI configured for a real API (simulator off) with a key and no secret at all."""
    settings.PARTNER_SIMULATOR = False
    monkeypatch.setenv("JRI_MODE", "api")
    monkeypatch.setenv("JRI_API_BASE_URL", BASE)
    monkeypatch.setenv("JRI_API_KEY", "jri-key-0123456789")
    monkeypatch.setenv("JRI_ORGANIZATION_ID", "org-77")
    monkeypatch.delenv("JRI_API_SECRET", raising=False)
    adapter = get_adapter("jri")
    adapter.client.sleep = lambda seconds: None
    return adapter


def test_no_secret_is_a_complete_configuration(jri_without_secret):
    assert jri_without_secret.config.api_secret == ""
    assert "api_secret" not in jri_without_secret.required_settings
    missing = [m for m in check_partner_settings() if m.obj == "jri" and m.id == "partners.E002"]
    assert missing == []


@responses.activate
def test_calls_carry_key_and_organisation_and_no_secret(jri_without_secret):
    responses.add("POST", f"{BASE}/api/users", json={"user_id": "JRI-U-1"}, status=201)
    account = jri_without_secret.create_account(student=STUDENT, idempotency_key="k")
    assert account.external_id == "JRI-U-1"
    sent = responses.calls[0].request.headers
    assert sent["X-API-Key"] == "jri-key-0123456789" and sent["X-Organization-Id"] == "org-77"
    assert not any("secret" in name.lower() for name in sent)


def test_simulator_does_not_ask_for_a_secret(live_jri, monkeypatch):
    # A secret that matches nothing changes nothing: JRI never sees one.
    monkeypatch.setenv("JRI_API_SECRET", "not-a-jri-secret")
    account = live_jri.create_account(student=STUDENT, idempotency_key="acct-S-1")
    assert account.external_id.startswith("JRI-U-")


# -- SCORM progress --------------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize(
    ("answer", "percent", "completed", "passed", "score"),
    [
        (
            {"completion_status": "not attempted", "success_status": "unknown"},
            0,
            False,
            None,
            None,
        ),
        (
            {
                "completion_status": "completed",
                "success_status": "passed",
                "progress_measure": 1,
                "score": {"scaled": 0.85},
            },
            100,
            True,
            True,
            Decimal("85.00"),
        ),
        # Finished the package but failed its post-test: no completion, no certificate.
        (
            {
                "completion_status": "completed",
                "success_status": "failed",
                "progress_measure": 1,
                "score": {"raw": 55, "min": 0, "max": 100, "scaled": 0.55},
            },
            100,
            False,
            False,
            Decimal(55),
        ),
    ],
)
def test_scorm_progress(jri, catalogue, answer, percent, completed, passed, score):
    responses.add("GET", f"{jri.config.base_url}/api/enrollments/JRI-E-1/progress", json=answer)
    progress = jri.get_progress(external_enrollment_id="JRI-E-1")
    assert progress.progress_percent == percent
    assert progress.completed is completed and progress.passed is passed
    assert progress.score == score
    assert progress.started is (answer["completion_status"] != "not attempted")


def test_simulated_scorm_score_and_success(live_jri):
    enrollment = completed_enrollment(live_jri)
    progress = live_jri.get_progress(external_enrollment_id=enrollment.external_id)
    assert progress.completed and progress.passed is True
    assert progress.score == Decimal(850)
    assert progress.raw["score"]["scaled"] == pytest.approx(0.85)


# -- certificate verification -----------------------------------------------------------


@responses.activate
def test_verify_a_valid_certificate(jri, catalogue):
    assert jri.paths.verify_certificate
    responses.add(
        "GET",
        f"{jri.config.base_url}/api/certificates/JRI-CERT-9/verify",
        json={"certificate_number": "JRI-CERT-9", "valid": True, "status": "valid"},
    )
    result = jri.verify_certificate(number="JRI-CERT-9")
    assert result.valid and result.status == "valid"
    assert result.raw["certificate_number"] == "JRI-CERT-9"


@responses.activate
def test_an_unknown_certificate_is_invalid_not_an_error(jri, catalogue):
    responses.add(
        "GET",
        f"{jri.config.base_url}/api/certificates/FAKE%2F1/verify",
        json={"error": "certificate_not_found", "error_description": "no certificate"},
        status=404,
    )
    result = jri.verify_certificate(number="FAKE/1")  # quoted, never a path change
    assert not result.valid and result.status == "not_found"
    assert len(responses.calls) == 1


def test_simulated_verification(live_jri):
    enrollment = completed_enrollment(live_jri)
    certificate = live_jri.get_certificate(external_enrollment_id=enrollment.external_id)
    assert certificate.expires_at is None  # JRI certificates do not expire

    genuine = live_jri.verify_certificate(number=certificate.number)
    assert genuine.valid and genuine.status == "valid"
    assert genuine.raw["course_code"] == "JRI-CUST-101"

    forged = live_jri.verify_certificate(number="JRI-C-FORGED")
    assert not forged.valid and forged.status == "not_found"
