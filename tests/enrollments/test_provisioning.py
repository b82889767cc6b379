"""Provisioning against the simulator over real HTTP: account, enrolment, resume after a
partial failure, backoff, breaker deferral, permanent failure, temporary passwords."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from enrollments.models import Enrollment, EnrollmentStatus, PartnerAccount, StudentEmail, Voucher
from enrollments.services import enrollment_create, enrollment_provision, enrollment_retry
from monitoring.models import PartnerRequestLog
from partners.breakers import breaker_for
from partners.models import PartnerCourse
from partners.registry import PARTNER_SLUGS
from partners.simulator.faults import clear_faults, set_faults
from partners.simulator.models import SimAccount, SimEnrollment
from tests.factories import make_student


def course(slug: str, code: str | None = None) -> PartnerCourse:
    qs = PartnerCourse.objects.filter(partner__slug=slug, needs_voucher=False)
    return qs.get(code=code) if code else qs.first()


def due_now(enrollment: Enrollment) -> None:
    Enrollment.objects.filter(pk=enrollment.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_new_enrollment_is_provisioned_and_the_student_told_how_to_start(live_simulator):
    enrollment = enrollment_create(student=make_student(), course=course("nds"))
    enrollment.refresh_from_db()
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)
    assert enrollment.external_enrollment_id and enrollment.attempts == 1
    assert PartnerAccount.objects.get(student=enrollment.student).external_id
    [message] = mail.outbox
    assert "enrolled" in message.subject and "/go/" in message.body
    logs = PartnerRequestLog.objects.filter(enrollment=enrollment)
    assert set(logs.values_list("operation", flat=True)) == {"create_account", "enroll"}
    assert len(set(logs.values_list("correlation_id", flat=True))) == 1


def test_a_second_course_reuses_the_partner_account(live_simulator):
    student = make_student()
    enrollment_create(student=student, course=course("jri", "JRI-CUST-101"))
    enrollment_create(student=student, course=course("jri", "JRI-FLOOR-CARE"))
    assert SimAccount.objects.filter(partner="jri").count() == 1
    assert SimEnrollment.objects.filter(partner="jri").count() == 2


def test_resumes_after_partial_failure_without_a_second_account(live_simulator, monkeypatch):
    from partners.jri.adapter import JriAdapter

    real_enroll = JriAdapter.enroll
    calls = {"n": 0}

    def enroll_fails_once(self, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            from partners.errors import PartnerServerError

            raise PartnerServerError("boom", partner="jri", operation="enroll", status=502)
        return real_enroll(self, **kwargs)

    monkeypatch.setattr(JriAdapter, "enroll", enroll_fails_once)
    enrollment = enrollment_create(student=make_student(), course=course("jri"))
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED
    assert enrollment.attempts == 1 and "PartnerServerError" in enrollment.last_error
    # Due again after the client's first backoff (about 1 s), the task re-queued for then.
    assert timezone.now() < enrollment.next_attempt_at < timezone.now() + timedelta(seconds=2)

    assert enrollment_provision(enrollment_id=enrollment.pk) is None  # not due yet
    due_now(enrollment)
    enrollment = enrollment_provision(enrollment_id=enrollment.pk)
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)
    assert SimAccount.objects.filter(partner="jri").count() == 1
    assert SimEnrollment.objects.filter(partner="jri").count() == 1


def test_outage_backs_off_then_the_breaker_defers_without_counting(live_simulator, settings):
    settings.PARTNER_BREAKER_FAIL_MAX = 3
    set_faults("nds", error_rate=1.0)
    from partners.registry import get_adapter

    get_adapter("nds").client.sleep = lambda s: None
    enrollment = enrollment_create(student=make_student(), course=course("nds"))
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED and enrollment.attempts == 1
    # One attempt per run (the task re-queues itself): the third failure opens the breaker.
    for attempts in (2, 3):
        due_now(enrollment)
        enrollment_provision(enrollment_id=enrollment.pk)
        enrollment.refresh_from_db()
        assert enrollment.attempts == attempts and "503" in enrollment.last_error
    assert breaker_for("nds").current_state == "open"

    due_now(enrollment)
    enrollment_provision(enrollment_id=enrollment.pk)
    enrollment.refresh_from_db()
    assert enrollment.attempts == 3 and "PartnerCircuitOpenError" in enrollment.last_error
    assert enrollment.next_attempt_at > timezone.now() + timedelta(seconds=30)

    clear_faults("nds")
    breaker_for("nds").close()
    due_now(enrollment)
    enrollment = enrollment_provision(enrollment_id=enrollment.pk)
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)


def test_permanent_refusal_fails_with_the_reason_and_staff_can_retry(live_simulator):
    enrollment = enrollment_create(
        student=make_student(), course=course("milady"), promo_code="NOT-A-CODE"
    )
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.FAILED
    assert "PartnerRejectedError" in enrollment.last_error

    Enrollment.objects.filter(pk=enrollment.pk).update(promo_code="MILADY10")
    enrollment_retry(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)


def test_temporary_password_reaches_the_student_once_and_is_never_stored(live_simulator):
    voucher_course = PartnerCourse.objects.filter(partner__slug="careersafe").first()
    Voucher.objects.create(partner=voucher_course.partner, cost=25)
    enrollment = enrollment_create(student=make_student(), course=voucher_course)
    enrollment.refresh_from_db()
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)
    [message] = mail.outbox
    assert "Temporary password:" in message.body
    password = message.body.split("Temporary password:")[1].split()[0]
    account = PartnerAccount.objects.get(student=enrollment.student)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "enrollments_partneraccount",
            "enrollments_enrollment",
            "monitoring_partnerrequestlog",
            "simulator_simidempotencyrecord",
        ):
            cursor.execute(f"SELECT * FROM {table}")
            assert password not in repr(cursor.fetchall()), table
    assert account.external_id


@pytest.mark.parametrize(("mode", "status"), [("roster", "requested"), ("manual", "active")])
def test_roster_and_manual_partners_are_not_called(
    live_simulator, monkeypatch, settings, mode, status
):
    """A roster partner's enrollment waits for its export; a manual partner's is active at
    once (tests/enrollments/test_modes.py follows both further)."""
    settings.PARTNER_SIMULATOR = False
    monkeypatch.setenv("NDS_MODE", mode)
    enrollment = enrollment_create(student=make_student(), course=course("nds"))
    enrollment.refresh_from_db()
    assert enrollment.status == status and enrollment.next_attempt_at is None
    assert not PartnerRequestLog.objects.exists()
    assert StudentEmail.objects.count() == (mode == "manual")


@pytest.mark.parametrize("slug", PARTNER_SLUGS)
def test_every_partner_provisions_against_the_simulator(live_simulator, slug):
    target = PartnerCourse.objects.filter(partner__slug=slug).first()
    if target.needs_voucher:
        Voucher.objects.create(
            partner=target.partner,
            cost=10,
            code="" if slug in ("hsi", "careersafe") else f"{slug}-V1",
        )
    enrollment = enrollment_create(student=make_student(), course=target)
    enrollment.refresh_from_db()
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE), (
        enrollment.last_error
    )
