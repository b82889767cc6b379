"""Creating, cancelling and retrying enrollments."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.celery import enqueue_on_commit
from config.db import savepoint_if_nested
from enrollments.models import (
    OPEN_STATUSES,
    Cohort,
    Enrollment,
    EnrollmentStatus,
    FundingSource,
    Student,
)
from enrollments.services.errors import EnrollmentConflict, EnrollmentError, EnrollmentStateError
from enrollments.services.vouchers import voucher_release, voucher_take
from partners.models import PartnerCourse

STUDENT_FIELDS = ("first_name", "last_name", "email", "phone")


def _normalise(field: str, value: str) -> str:
    value = value.strip()
    return value.lower() if field == "email" else value


def student_create(
    *, external_ref: str, first_name: str, last_name: str, email: str, phone: str = ""
) -> Student:
    """A new student; e-mail lower-cased, blanks trimmed; ValidationError on bad input,
    including a reference another request took a moment ago."""
    student = Student(
        external_ref=external_ref.strip(),
        first_name=_normalise("first_name", first_name),
        last_name=_normalise("last_name", last_name),
        email=_normalise("email", email),
        phone=_normalise("phone", phone),
    )
    student.full_clean()
    try:
        with transaction.atomic():
            student.save()
    except IntegrityError as exc:
        # full_clean checked the reference, but a concurrent create can still win the race.
        raise ValidationError(
            {"external_ref": "A student with this reference already exists."}
        ) from exc
    return student


def student_update(*, student: Student, **fields: str) -> Student:
    """Change a student's names, e-mail or phone (the reference is the organisation's key
    and stays)."""
    unknown = set(fields) - set(STUDENT_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    for name, value in fields.items():
        setattr(student, name, _normalise(name, value))
    student.full_clean()
    student.save(update_fields=[*fields, "updated_at"])
    return student


def enrollment_create(
    *,
    student: Student,
    course: PartnerCourse,
    funding_source: str = FundingSource.OTHER,
    cohort: Cohort | None = None,
    promo_code: str = "",
) -> Enrollment:
    """Open an enrollment and queue its provisioning once committed.

    One open enrollment per student and course (EnrollmentConflict); a course that needs a
    voucher takes one in the same transaction (NoVoucherAvailable when none is left, and
    nothing is created)."""
    if not course.active or not course.partner.active:
        raise EnrollmentStateError(f"{course} is not offered at the moment.")
    enrollment = Enrollment(
        student=student,
        course=course,
        funding_source=funding_source,
        cohort=cohort,
        promo_code=promo_code.strip(),
    )
    # The student, course and cohort given were read from the database by the caller
    # (the API's serializer, the admin's form, a cohort): checking that each exists would
    # read each row again. The database's foreign keys still hold, and a row deleted in
    # the meantime is told apart from a conflict below.
    read = [
        name
        for name, row in (("student", student), ("course", course), ("cohort", cohort))
        if row is not None and row.pk is not None and not row._state.adding
    ]
    enrollment.full_clean(exclude=read, validate_constraints=False)
    # The course's partner, read just above: set after the checks (its existence needs
    # none) and loaded, so what reads the new enrollment's partner reads no row for it.
    enrollment.partner = course.partner
    # No look for an open enrollment first: the partial unique index refuses a second one
    # (also when two requests race), and only then is the reason looked up. Without a
    # voucher to take with it, the INSERT is its own transaction.
    try:
        with transaction.atomic() if course.needs_voucher else savepoint_if_nested():
            enrollment.save()
            if course.needs_voucher:
                voucher_take(enrollment=enrollment)
    except IntegrityError as exc:
        # An open enrollment in the course already, or a row this enrollment points at
        # was deleted meanwhile.
        if Enrollment.objects.filter(
            student=student, course=course, status__in=OPEN_STATUSES
        ).exists():
            raise EnrollmentConflict(_conflict_message(student, course)) from exc
        raise EnrollmentError(
            "The enrollment could not be saved: the student, the course or the cohort was "
            "deleted meanwhile."
        ) from exc
    schedule_provisioning(enrollment)
    return enrollment


def _conflict_message(student: Student, course: PartnerCourse) -> str:
    return (
        f"{student.full_name} already has an open enrollment in {course.code}; "
        "complete, fail or cancel it before enrolling again."
    )


def schedule_provisioning(enrollment: Enrollment) -> None:
    """Provision after commit. If the message is lost (a crash between commit and
    publish), the reconcile job finds the enrollment still `requested` and re-drives it."""
    enqueue_on_commit("enrollments.tasks.provision_enrollment", enrollment.pk)


def enrollment_cancel(*, enrollment: Enrollment, reason: str = "") -> Enrollment:
    """Cancel an open or failed enrollment and release its voucher. The partner is not
    told (no partner offers a cancel call); staff withdraw the seat there if needed."""
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if enrollment.status in (EnrollmentStatus.COMPLETED, EnrollmentStatus.CANCELLED):
            raise EnrollmentStateError(
                f"A {enrollment.get_status_display().lower()} enrollment cannot be cancelled."
            )
        enrollment.status = EnrollmentStatus.CANCELLED
        enrollment.cancelled_at = timezone.now()
        enrollment.next_attempt_at = None
        if reason:
            enrollment.last_error = f"Cancelled: {reason}"[:1000]
        enrollment.save()
        voucher_release(enrollment=enrollment)
    return enrollment


def enrollment_retry(*, enrollment: Enrollment) -> Enrollment:
    """Staff retry of a failed (or stuck requested) enrollment: back to requested, now."""
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if enrollment.status not in (EnrollmentStatus.FAILED, EnrollmentStatus.REQUESTED):
            raise EnrollmentStateError("Only a failed or requested enrollment can be retried.")
        if (
            Enrollment.objects.filter(
                student_id=enrollment.student_id,
                course_id=enrollment.course_id,
                status__in=OPEN_STATUSES,
            )
            .exclude(pk=enrollment.pk)
            .exists()
        ):
            raise EnrollmentConflict(_conflict_message(enrollment.student, enrollment.course))
        enrollment.status = EnrollmentStatus.REQUESTED
        enrollment.next_attempt_at = None
        enrollment.save(update_fields=["status", "next_attempt_at", "updated_at"])
        schedule_provisioning(enrollment)
    return enrollment
