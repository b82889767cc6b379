"""Staff outcomes go through the one write path as MANUAL events recorded by the staff
member: the same rules, the same e-mails, once."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from enrollments.models import (
    Certificate,
    CertificateSource,
    EnrollmentEvent,
    EnrollmentStatus,
    VoucherStatus,
)
from enrollments.services.errors import EnrollmentStateError
from enrollments.services.outcomes import (
    Outcome,
    enrollment_record_outcome,
    enrollments_record_outcome,
)
from tests.factories import make_course, make_enrollment, make_voucher, partner

DAY = datetime(2026, 11, 20, 15, tzinfo=UTC)
PDF = b"%PDF-1.4 card\n%%EOF\n"


@pytest.fixture
def staff(db):
    return User.objects.create_user("coordinator", is_staff=True)


@pytest.fixture
def manual_enrollment(db):
    course = make_course(partner("nds"), validity_months=None)
    return make_enrollment(course=course, status=EnrollmentStatus.ACTIVE)


def test_a_completion_is_a_manual_event_by_the_staff_member_with_its_emails(
    manual_enrollment, staff, django_capture_on_commit_callbacks
):
    voucher = make_voucher(
        partner=manual_enrollment.partner,
        status=VoucherStatus.ASSIGNED,
        enrollment=manual_enrollment,
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = enrollment_record_outcome(
            enrollment=manual_enrollment,
            outcome=Outcome(completed=True, completed_at=DAY, score=Decimal("88")),
            recorded_by_id=staff.pk,
        )
    manual_enrollment.refresh_from_db()
    assert result.changed
    assert manual_enrollment.status == EnrollmentStatus.COMPLETED
    assert manual_enrollment.completed_at == DAY and manual_enrollment.progress_percent == 100
    assert manual_enrollment.score == Decimal("88")
    record = EnrollmentEvent.objects.get(enrollment=manual_enrollment)
    assert (record.source, record.recorded_by, record.event_type) == (
        "manual",
        staff,
        "course.completed",
    )
    assert record.event_key.startswith("manual:")
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.REDEEMED
    assert [m.subject for m in mail.outbox] == [
        f"Well done: you completed {manual_enrollment.course.title}"
    ]


def test_a_certificate_with_its_pdf_as_evidence(
    manual_enrollment, staff, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_record_outcome(
            enrollment=manual_enrollment,
            outcome=Outcome(
                certificate_number="NDS-DOT-77",
                issued_at=DAY,
                verification_url="https://verify.example.org/NDS-DOT-77",
            ),
            recorded_by_id=staff.pk,
            evidence=SimpleUploadedFile("card.pdf", PDF, content_type="application/pdf"),
        )
    certificate = Certificate.objects.get(enrollment=manual_enrollment)
    assert certificate.number == "NDS-DOT-77" and certificate.source == CertificateSource.MANUAL
    assert certificate.issued_at == DAY and certificate.expires_at is None
    assert certificate.file.read() == PDF
    manual_enrollment.refresh_from_db()
    assert manual_enrollment.status == EnrollmentStatus.COMPLETED
    assert sorted(m.subject.split(":")[0] for m in mail.outbox) == [
        "Well done",
        "Your certificate for " + manual_enrollment.course.title,
    ]


def test_evidence_for_another_number_than_the_one_on_record_is_refused(
    manual_enrollment, staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    outcome = Outcome(certificate_number="C-1", issued_at=DAY)
    enrollment_record_outcome(
        enrollment=manual_enrollment, outcome=outcome, recorded_by_id=staff.pk
    )
    with pytest.raises(EnrollmentStateError, match="C-1 is on record, not C-2"):
        enrollment_record_outcome(
            enrollment=manual_enrollment,
            outcome=Outcome(certificate_number="C-2", issued_at=DAY),
            recorded_by_id=staff.pk,
            evidence=SimpleUploadedFile("other.pdf", PDF),
        )
    assert not Certificate.objects.get(enrollment=manual_enrollment).file


@pytest.mark.parametrize(
    ("status", "outcome", "message"),
    [
        (EnrollmentStatus.CANCELLED, Outcome(completed=True), "cancelled enrollment"),
        (EnrollmentStatus.ACTIVE, Outcome(completed=True, passed=False), "not a completion"),
    ],
)
def test_what_staff_cannot_record(db, staff, status, outcome, message):
    enrollment = make_enrollment(status=status)
    with pytest.raises(EnrollmentStateError, match=message):
        enrollment_record_outcome(enrollment=enrollment, outcome=outcome, recorded_by_id=staff.pk)
    enrollment.refresh_from_db()
    assert enrollment.status == status and not EnrollmentEvent.objects.exists()


def test_progress_recorded_by_staff_never_goes_down(manual_enrollment, staff):
    for percent in (60, 30):
        enrollment_record_outcome(
            enrollment=manual_enrollment,
            outcome=Outcome(progress_percent=percent),
            recorded_by_id=staff.pk,
        )
    manual_enrollment.refresh_from_db()
    assert manual_enrollment.progress_percent == 60


def test_mark_a_selection_completed_on_one_date(db, staff):
    course = make_course(partner("jri"))
    enrollments = [make_enrollment(course=course, status="active") for _ in range(3)]
    enrollments.append(make_enrollment(course=course, status=EnrollmentStatus.CANCELLED))
    done = enrollments_record_outcome(
        enrollments=enrollments,
        outcome=Outcome(completed=True, completed_at=DAY),
        recorded_by_id=staff.pk,
    )
    assert [error for _, _, error in done] == [
        "",
        "",
        "",
        "A cancelled enrollment takes no outcome.",
    ]
    for enrollment in enrollments[:3]:
        enrollment.refresh_from_db()
        assert (enrollment.status, enrollment.completed_at) == (EnrollmentStatus.COMPLETED, DAY)
