"""The three connection modes end to end, and switching a partner's mode.

`roster`: requested until a roster export takes it (submitted, in a batch), then moved on
by IMPORT events. `manual`: active at once with its voucher or link, then staff outcomes.
Switching `<SLUG>_MODE` (or Partner.mode) is configuration only: every open enrollment
is still taken somewhere by the new mode's path. Modes are set explicitly here: with the
simulator on, the mode in force is `api` unless `<SLUG>_MODE` says otherwise.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from enrollments.models import (
    EmailKind,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    PartnerAccount,
    StudentEmail,
    Voucher,
    VoucherStatus,
)
from enrollments.selectors import (
    QUEUED_GRACE,
    enrollments_to_export,
    enrollments_to_provision,
)
from enrollments.services import enrollment_apply_event, enrollment_create
from enrollments.services.outcomes import Outcome, enrollment_record_outcome
from enrollments.services.provisioning import enrollment_provision, provisioning_redrive
from enrollments.services.rosters import roster_export
from monitoring.models import PartnerRequestLog
from partners.events import EventSource, EventType, PartnerEvent
from partners.models import Partner, PartnerCourse
from partners.results import CertificateResult
from tests.factories import make_course, make_student

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def set_mode(monkeypatch, slug: str, mode: str) -> None:
    monkeypatch.setenv(f"{slug.upper()}_MODE", mode)


def sent(kind: str) -> int:
    return StudentEmail.objects.filter(kind=kind).count()


def imported(enrollment, kind: EventType, row: int, **fields) -> PartnerEvent:
    return PartnerEvent(
        type=kind,
        partner=enrollment.partner.slug,
        occurred_at=timezone.now(),
        student_ref=enrollment.student.external_ref,
        course_code=enrollment.course.code,
        source=EventSource.IMPORT,
        event_id=f"results.csv:{row}",
        **fields,
    )


@pytest.fixture
def careersafe(db):
    return Partner.objects.create(slug="careersafe", name="CareerSafe", mode="roster")


@pytest.fixture
def nds(db):
    return Partner.objects.create(slug="nds", name="NDS", mode="manual")


def test_roster_requested_then_submitted_by_its_export_then_moved_on_by_imports(
    careersafe, monkeypatch, django_capture_on_commit_callbacks
):
    set_mode(monkeypatch, "careersafe", "roster")
    user = User.objects.create_user("coordinator")
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enrollment_create(student=make_student(), course=make_course(careersafe))
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED
    assert enrollment.next_attempt_at is None  # no retry due: it waits for the export
    assert not PartnerRequestLog.objects.exists() and not StudentEmail.objects.exists()
    assert enrollment not in enrollments_to_provision()

    with django_capture_on_commit_callbacks(execute=True):
        batch = roster_export(partner=careersafe, exported_by_id=user.pk)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.SUBMITTED
    # The record of which export took it, and who made it.
    assert list(enrollment.roster_exports.all()) == [batch] and batch.exported_by == user
    assert sent(EmailKind.ENROLLMENT_ACTIVE) == 1

    with django_capture_on_commit_callbacks(execute=True):
        enrollment_apply_event(
            imported(enrollment, EventType.PROGRESS_UPDATED, 2, progress_percent=40)
        )
        enrollment_apply_event(
            imported(
                enrollment,
                EventType.CERTIFICATE_ISSUED,
                3,
                passed=True,
                certificate=CertificateResult(number="OSHA-1", issued_at=timezone.now()),
            )
        )
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED
    assert enrollment.certificate.number == "OSHA-1"
    assert sent(EmailKind.ENROLLMENT_ACTIVE) == 1  # not again on the way to active
    assert sent(EmailKind.COURSE_COMPLETED) == sent(EmailKind.CERTIFICATE_ISSUED) == 1


def test_manual_active_at_once_with_its_voucher_then_staff_record_the_outcome(
    nds, monkeypatch, django_capture_on_commit_callbacks
):
    set_mode(monkeypatch, "nds", "manual")
    course = make_course(nds, code="DOT-SUP", needs_voucher=True)
    Voucher.objects.create(partner=nds, course=course, code="NDS-SEAT-7", cost=25)
    student = make_student()
    PartnerAccount.objects.create(
        student=student, partner=nds, external_id="", login_url="https://nds.example/login"
    )
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enrollment_create(student=student, course=course)
    enrollment.refresh_from_db()

    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert enrollment.submitted_at is not None
    assert enrollment.launch_url == "https://nds.example/login"
    assert Voucher.objects.get(code="NDS-SEAT-7").enrollment == enrollment
    assert not PartnerRequestLog.objects.exists()
    # The same e-mail as every path to active, with the voucher and the partner link.
    assert sent(EmailKind.ENROLLMENT_ACTIVE) == 1
    body = mail.outbox[-1].body
    assert "NDS-SEAT-7" in body and "https://nds.example/login" in body
    assert "/launch/" not in body  # our launch link asks the partner: not for manual

    staff = User.objects.create_user("staff", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_record_outcome(
            enrollment=enrollment, outcome=Outcome(completed=True), recorded_by_id=staff.pk
        )
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED
    assert Voucher.objects.get(code="NDS-SEAT-7").status == VoucherStatus.REDEEMED
    assert sent(EmailKind.COURSE_COMPLETED) == 1


def test_manual_without_a_link_tells_the_student_the_coordinator_will(
    nds, monkeypatch, django_capture_on_commit_callbacks
):
    set_mode(monkeypatch, "nds", "manual")
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_create(student=make_student(), course=make_course(nds))
    assert "coordinator will tell you how to start" in mail.outbox[-1].body


def test_a_manual_enrollment_cancelled_before_it_is_handed_out_stays_cancelled(nds, monkeypatch):
    set_mode(monkeypatch, "nds", "roster")
    enrollment = enrollment_create(student=make_student(), course=make_course(nds))
    Enrollment.objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.CANCELLED)
    set_mode(monkeypatch, "nds", "manual")
    assert enrollment_provision(enrollment_id=enrollment.pk, force=True) is None
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.CANCELLED


# --- Switching a partner's mode ----------------------------------------------------------


def waited(enrollment) -> None:
    """It has waited for its roster export longer than a queued task's grace
    (selectors.QUEUED_GRACE), as enrollments waiting for a roster file do."""
    Enrollment.objects.filter(pk=enrollment.pk).update(requested_at=timezone.now() - QUEUED_GRACE)


def test_roster_to_api_the_redrive_provisions_what_waited(live_simulator, monkeypatch):
    set_mode(monkeypatch, "careersafe", "roster")
    course = PartnerCourse.objects.filter(partner__slug="careersafe").first()
    if course.needs_voucher:
        Voucher.objects.create(partner=course.partner, cost=10)  # a seat (no code)
    enrollment = enrollment_create(student=make_student(), course=course)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED

    set_mode(monkeypatch, "careersafe", "api")
    waited(enrollment)
    assert provisioning_redrive(limit=10) == 1

    enrollment.refresh_from_db()
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)
    assert enrollment.external_enrollment_id


def test_api_to_roster_a_requested_enrollment_in_backoff_is_exportable(careersafe, monkeypatch):
    set_mode(monkeypatch, "careersafe", "api")
    enrollment = enrollment_create(student=make_student(), course=make_course(careersafe))
    # A partner that was failing: the next attempt is an hour away.
    Enrollment.objects.filter(pk=enrollment.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1),
        last_error="PartnerTransientError: 503",
        attempts=3,
    )

    set_mode(monkeypatch, "careersafe", "roster")
    assert enrollment not in enrollments_to_provision(due_only=False)
    assert list(enrollments_to_export(partner=careersafe)) == [enrollment]
    roster_export(partner=careersafe)

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.SUBMITTED
    assert (enrollment.next_attempt_at, enrollment.last_error) == (None, "")


@pytest.mark.parametrize("source", [EventSource.IMPORT, EventSource.WEBHOOK])
def test_api_to_roster_a_submitted_enrollment_still_takes_imports_and_webhooks(
    careersafe, monkeypatch, source
):
    set_mode(monkeypatch, "careersafe", "api")
    course = make_course(careersafe)
    enrollment = Enrollment.objects.create(
        student=make_student(),
        course=course,
        status=EnrollmentStatus.SUBMITTED,
        external_enrollment_id="CS-991",
    )
    set_mode(monkeypatch, "careersafe", "roster")
    assert enrollment not in enrollments_to_export(partner=careersafe)  # in no new roster

    result = enrollment_apply_event(
        PartnerEvent(
            type=EventType.PROGRESS_UPDATED,
            partner="careersafe",
            occurred_at=timezone.now(),
            external_enrollment_id="CS-991",
            progress_percent=55,
            source=source,
            event_id="e-1",
        )
    )

    assert result.changed
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.progress_percent) == (EnrollmentStatus.ACTIVE, 55)


def test_roster_to_manual_the_redrive_hands_out_what_waited(
    nds, monkeypatch, django_capture_on_commit_callbacks
):
    set_mode(monkeypatch, "nds", "roster")
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enrollment_create(student=make_student(), course=make_course(nds))
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED

    set_mode(monkeypatch, "nds", "manual")
    waited(enrollment)
    assert list(enrollments_to_provision()) == [enrollment]
    with django_capture_on_commit_callbacks(execute=True):
        assert provisioning_redrive(limit=10) == 1

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert sent(EmailKind.ENROLLMENT_ACTIVE) == 1


def test_api_to_manual_a_requested_enrollment_is_handed_out_when_due(nds, monkeypatch):
    set_mode(monkeypatch, "nds", "api")
    enrollment = enrollment_create(student=make_student(), course=make_course(nds))
    Enrollment.objects.filter(pk=enrollment.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1), last_error="timeout"
    )
    set_mode(monkeypatch, "nds", "manual")
    provisioning_redrive(limit=10)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.last_error) == (EnrollmentStatus.ACTIVE, "")


def test_manual_to_roster_an_active_enrollment_is_not_exported_and_takes_imports(
    nds, monkeypatch, django_capture_on_commit_callbacks
):
    set_mode(monkeypatch, "nds", "manual")
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enrollment_create(student=make_student(), course=make_course(nds))
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE

    set_mode(monkeypatch, "nds", "roster")
    assert not enrollments_to_export(partner=nds).exists()
    enrollment_apply_event(imported(enrollment, EventType.COURSE_COMPLETED, 2))
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED


def test_the_partner_rows_mode_switches_too_when_no_variable_is_set(
    careersafe, monkeypatch, settings
):
    settings.PARTNER_SIMULATOR = False
    monkeypatch.delenv("CAREERSAFE_MODE", raising=False)
    enrollment = enrollment_create(student=make_student(), course=make_course(careersafe))
    assert enrollment in enrollments_to_export(partner=careersafe)
    assert enrollment not in enrollments_to_provision()

    Partner.objects.filter(pk=careersafe.pk).update(mode="manual")
    waited(enrollment)
    provisioning_redrive(limit=10)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE


def test_a_mode_that_is_not_a_mode_is_said_on_the_enrollment(careersafe, monkeypatch):
    set_mode(monkeypatch, "careersafe", "roster")
    enrollment = enrollment_create(student=make_student(), course=make_course(careersafe))
    set_mode(monkeypatch, "careersafe", "fax")

    enrollment_provision(enrollment_id=enrollment.pk, force=True)

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED
    assert "CAREERSAFE_MODE" in enrollment.last_error
    assert enrollment.next_attempt_at > timezone.now()
    assert not EnrollmentEvent.objects.exists()
