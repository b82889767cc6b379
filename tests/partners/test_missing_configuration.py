"""An `api` partner whose base URL or key is not set: the call is refused before anything
is sent, as a PartnerConfigurationError naming the variable. Not retried, not counted by
the breaker, and the enrollment fails with that message instead of being rescheduled."""

import re

import pytest
import responses
from django.core.management import call_command

from enrollments.models import EnrollmentStatus, Voucher
from enrollments.services import enrollment_create, enrollment_provision
from monitoring.models import PartnerRequestLog
from partners.breakers import breaker_for, breaker_state
from partners.client import PartnerClient
from partners.config import PartnerConfigurationError
from partners.models import PartnerCourse
from partners.registry import clear_adapters, get_adapter
from tests.factories import make_student
from tests.partners.conftest import STUDENT

BASE = "https://api.hsi.test"


@pytest.fixture
def hsi_live(settings, monkeypatch, db):
    """HSI in api mode against a real (mocked) API: every setting it needs is set."""
    call_command("load_catalogue", verbosity=0)
    settings.PARTNER_SIMULATOR = False
    for name, value in {
        "MODE": "api",
        "API_BASE_URL": BASE,
        "API_KEY": "hsi-key-0123456789",
        "API_SECRET": "hsi-secret-0123456789",
        "ORGANIZATION_ID": "org-1",
    }.items():
        monkeypatch.setenv(f"HSI_{name}", value)
    clear_adapters()
    yield
    clear_adapters()


@responses.activate
@pytest.mark.parametrize("missing", ["HSI_API_BASE_URL", "HSI_API_KEY"])
def test_enrollment_fails_naming_the_variable_and_nothing_is_sent(hsi_live, monkeypatch, missing):
    monkeypatch.delenv(missing)
    course = PartnerCourse.objects.filter(partner__slug="hsi").first()
    Voucher.objects.create(partner=course.partner, cost=10)  # HSI sells credits
    enrollment = enrollment_create(student=make_student(), course=course)
    enrollment_provision(enrollment_id=enrollment.pk)

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.FAILED
    assert missing in enrollment.last_error
    assert enrollment.last_error.startswith("PartnerConfigurationError")
    assert enrollment.next_attempt_at is None  # no retry scheduled
    assert len(responses.calls) == 0  # nothing sent, so nothing retried
    assert not PartnerRequestLog.objects.exists()
    breaker = breaker_for("hsi")
    assert breaker.fail_counter == 0 and breaker_state("hsi") == "closed"


@responses.activate
def test_the_call_raises_before_any_attempt(hsi_live, monkeypatch):
    monkeypatch.delenv("HSI_API_BASE_URL")
    monkeypatch.delenv("HSI_API_SECRET")
    adapter = get_adapter("hsi")
    with pytest.raises(PartnerConfigurationError) as caught:
        adapter.create_account(student=STUDENT, idempotency_key="k")
    assert str(caught.value) == (
        "hsi: HSI_API_BASE_URL and HSI_API_SECRET are not set: no request was sent"
    )
    assert len(responses.calls) == 0


def test_a_base_url_that_is_not_http_is_named(catalogue):
    client = PartnerClient(partner="nds", base_url="api.nds.test/v1")
    with pytest.raises(
        PartnerConfigurationError, match=re.escape("NDS_API_BASE_URL='api.nds.test/v1'")
    ):
        client.get("/ping", operation="get_progress")
    assert breaker_for("nds").fail_counter == 0


@responses.activate
def test_a_complete_configuration_is_called(hsi_live):
    responses.post(f"{BASE}/api/v1/students", status=201, json={"studentId": "HSI-1"})
    assert get_adapter("hsi").create_account(student=STUDENT, idempotency_key="k").external_id


@responses.activate
def test_the_sync_job_goes_on_past_a_partner_missing_its_settings(hsi_live, monkeypatch):
    from enrollments.tasks import sync_open_enrollments
    from tests.factories import make_enrollment

    monkeypatch.setenv("NDS_MODE", "api")  # and nothing else: NDS_API_BASE_URL is not set
    for slug, external_id in (("nds", "NDS-E-1"), ("hsi", "HSI-E-1")):
        make_enrollment(
            course=PartnerCourse.objects.filter(partner__slug=slug).first(),
            status=EnrollmentStatus.ACTIVE,
            external_enrollment_id=external_id,
        )
    responses.get(
        f"{BASE}/api/v1/enrollments/HSI-E-1/progress",
        json={"percentComplete": 40, "status": "in_progress"},
    )
    assert sync_open_enrollments() == {"synced": 1, "changed": 1, "failed": 1}


def test_the_certificate_job_goes_on_past_a_partner_missing_its_settings(hsi_live, monkeypatch):
    from enrollments.tasks import fetch_missing_certificates
    from tests.factories import make_enrollment

    monkeypatch.setenv("NDS_MODE", "api")
    make_enrollment(
        course=PartnerCourse.objects.filter(partner__slug="nds").first(),
        status=EnrollmentStatus.COMPLETED,
        progress_percent=100,
        external_enrollment_id="NDS-E-1",
    )
    assert fetch_missing_certificates() == 0


@responses.activate
def test_a_group_enrolment_without_the_base_url_fails_each_student_at_once(
    settings, monkeypatch, db, django_capture_on_commit_callbacks
):
    from enrollments.models import Enrollment
    from enrollments.services import cohort_enroll
    from tests.factories import make_cohort

    call_command("load_catalogue", verbosity=0)
    settings.PARTNER_SIMULATOR = False
    for name, value in {"MODE": "api", "API_KEY": "cs-key-0123456789"}.items():
        monkeypatch.setenv(f"CAREERSAFE_{name}", value)
    monkeypatch.setenv("CAREERSAFE_ORGANIZATION_ID", "org-1")
    clear_adapters()
    course = PartnerCourse.objects.get(code="OSHA10-CON")
    cohort = make_cohort(partner=course.partner, group_code="CS-GRP-9")
    for _ in range(2):
        Voucher.objects.create(partner=course.partner, cost=25)
    with django_capture_on_commit_callbacks(execute=True):
        cohort_enroll(cohort=cohort, course=course)

    statuses = set(Enrollment.objects.filter(cohort=cohort).values_list("status", "last_error"))
    assert {status for status, _ in statuses} == {EnrollmentStatus.FAILED}
    assert all("CAREERSAFE_API_BASE_URL" in error for _, error in statuses)
    assert len(responses.calls) == 0
    clear_adapters()
