"""Enrolling a whole cohort: one enrollment per student, with a result each; the partner's
group enrolment where it has one and the cohort carries a group code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from config.celery import enqueue_on_commit
from enrollments.models import Cohort, Enrollment, EnrollmentStatus, FundingSource, Student
from enrollments.services.enrollment import enrollment_create
from enrollments.services.errors import EnrollmentError
from enrollments.services.provisioning import (
    ensure_partner_account,
    hand_over_password,
    provisioning_failed,
    record_partner_enrollment,
)
from partners.config import PartnerConfigurationError, effective_mode
from partners.context import partner_call_context
from partners.errors import PartnerError
from partners.models import PartnerCourse
from partners.modes import ConnectionMode
from partners.registry import adapter_class, get_adapter


@dataclass
class StudentResult:
    student: Student
    enrollment: Enrollment | None = None
    error: str = ""


def cohort_enroll(
    *,
    cohort: Cohort,
    course: PartnerCourse,
    funding_source: str = FundingSource.OTHER,
    students: list[Student] | None = None,
) -> list[StudentResult]:
    """Enrol the cohort's students (or `students`) in `course`; a student who cannot be
    enrolled (already enrolled, no voucher left) gets an error and the rest go on."""
    group = _uses_group_enrollment(cohort, course)
    results = []
    for student in (
        students if students is not None else cohort.students.order_by("last_name", "first_name")
    ):
        try:
            with transaction.atomic():
                enrollment = enrollment_create(
                    student=student, course=course, funding_source=funding_source, cohort=cohort
                )
                if group:
                    # Held back from one-by-one provisioning: the group call enrols them.
                    Enrollment.objects.filter(pk=enrollment.pk).update(
                        next_attempt_at=_far_future()
                    )
            results.append(StudentResult(student=student, enrollment=enrollment))
        except EnrollmentError as exc:
            results.append(StudentResult(student=student, error=str(exc)))
    created = [r.enrollment.pk for r in results if r.enrollment]
    if group and created:
        enqueue_on_commit("enrollments.tasks.provision_group", created)
    return results


def _uses_group_enrollment(cohort: Cohort, course: PartnerCourse) -> bool:
    partner = course.partner
    return (
        bool(cohort.group_code)
        and cohort.partner_id == partner.id
        and effective_mode(partner) == ConnectionMode.API
        and adapter_class(partner.slug).supports_group_enrollment
    )


def _far_future():
    # Long enough for the group call; if it is lost, reconcile provisions them one by one.
    return timezone.now() + timedelta(hours=1)


def cohort_provision_group(*, enrollment_ids: list[int]) -> dict[int, str]:
    """Make missing accounts, then enrol them all in one group call. Returns enrollment id
    → error for the ones the partner refused (they are marked failed). If the group call
    itself fails, each enrollment falls back to one-by-one provisioning."""
    from enrollments.services.enrollment import schedule_provisioning

    enrollments = list(
        Enrollment.objects.select_related("student", "course", "partner", "cohort")
        .filter(pk__in=enrollment_ids, status=EnrollmentStatus.REQUESTED)
        .order_by("pk")
    )
    if not enrollments:
        return {}
    first = enrollments[0]
    adapter = get_adapter(first.partner.slug)
    errors: dict[int, str] = {}
    accounts = {}
    # Temporary passwords of accounts made now: never stored, so each goes to its
    # student in the "you're enrolled" e-mail, or on its own if the enrolment fails.
    passwords: dict[int, str | None] = {}
    with partner_call_context():
        for enrollment in enrollments:
            try:
                accounts[enrollment.pk], passwords[enrollment.pk] = ensure_partner_account(
                    adapter, enrollment
                )
            except (PartnerError, PartnerConfigurationError) as exc:
                errors[enrollment.pk] = str(exc)
        ready = [e for e in enrollments if e.pk in accounts]
        try:
            items = adapter.enroll_group(
                group_code=first.cohort.group_code,
                course_code=first.course.code,
                account_ids=[accounts[e.pk].external_id for e in ready],
                idempotency_key="partnerhub-group-" + "-".join(str(e.pk) for e in ready),
            )
        except (PartnerError, PartnerConfigurationError):
            # One by one, each enrollment gets its own outcome (a missing setting fails
            # them at once, with the variable's name).
            for enrollment in enrollments:
                Enrollment.objects.filter(pk=enrollment.pk).update(next_attempt_at=None)
                schedule_provisioning(enrollment)
                # One by one, the account is found, not made: no password comes again.
                hand_over_password(enrollment, passwords.get(enrollment.pk))
            return errors
    by_account = {item.account_id: item for item in items}
    for enrollment in ready:
        item = by_account.get(accounts[enrollment.pk].external_id)
        if item is None or item.enrollment is None:
            reason = item.error if item else "not in the partner's answer"
            errors[enrollment.pk] = reason
            provisioning_failed(enrollment, PartnerError(f"group enrolment refused: {reason}"))
            hand_over_password(enrollment, passwords.get(enrollment.pk))
            continue
        record_partner_enrollment(
            enrollment, item.enrollment, temporary_password=passwords.get(enrollment.pk)
        )
    return errors
