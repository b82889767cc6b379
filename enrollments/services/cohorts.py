"""Enrolling a whole cohort or a selection of students: one enrollment per student, with a
result each; the partner's group enrolment where it has one and the cohort carries a group
code.

Before staff confirm, `enrolment_preview` says what enrolling would do, writing nothing:
who is already enrolled, how many vouchers, credits or seats are short (and so who would
go without), the partner's connection mode (in `roster` mode enrollments wait for a roster
export, in `manual` mode staff hand out the access) and any configuration that is
missing. It reads the same rules `enrollment_create` applies (open enrollments, the
usable vouchers `voucher_take` takes from, the course being offered), so the preview and
the outcome agree unless someone else enrols or adds stock in between. Each result names
its reason (`StudentResult.reason`) so a summary can group the failures.

`cohort_add_students` adds students named in pasted text (e-mails or references, one a
line or comma separated) and reports the ones it could not find.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.celery import enqueue_on_commit
from enrollments.models import (
    OPEN_STATUSES,
    Cohort,
    Enrollment,
    EnrollmentStatus,
    FundingSource,
    Student,
)
from enrollments.services.enrollment import enrollment_create
from enrollments.services.errors import (
    EnrollmentConflict,
    EnrollmentError,
    EnrollmentStateError,
    NoVoucherAvailable,
)
from enrollments.services.provisioning import (
    ensure_partner_account,
    hand_over_password,
    provisioning_failed,
    record_partner_enrollment,
)
from enrollments.services.vouchers import vouchers_usable
from partners.config import PartnerConfigurationError, effective_mode
from partners.context import partner_call_context
from partners.errors import PartnerError
from partners.health import partners_health
from partners.models import Partner, PartnerCourse
from partners.modes import ConnectionMode
from partners.registry import adapter_class, get_adapter

# Why a student was not enrolled, in words a summary can group by.
ALREADY_ENROLLED = "already enrolled"
NO_VOUCHER = "no voucher, credit or seat left"
NOT_OFFERED = "course not offered"
REFUSED = "refused"
_REASONS = {
    EnrollmentConflict: ALREADY_ENROLLED,
    NoVoucherAvailable: NO_VOUCHER,
    EnrollmentStateError: NOT_OFFERED,
}


@dataclass
class StudentResult:
    student: Student
    enrollment: Enrollment | None = None
    error: str = ""
    reason: str = ""  # one of the reasons above when `error` is set


def _refused(student: Student, exc: EnrollmentError) -> StudentResult:
    reason = next((r for cls, r in _REASONS.items() if isinstance(exc, cls)), REFUSED)
    return StudentResult(student=student, error=str(exc), reason=reason)


def _in_order(students: Iterable[Student]) -> list[Student]:
    # The order enrolment runs in, so the preview can say who a short stock leaves out.
    return sorted(students, key=lambda s: (s.last_name, s.first_name, s.pk))


def cohort_enroll(
    *,
    cohort: Cohort,
    course: PartnerCourse,
    funding_source: str = FundingSource.OTHER,
    students: list[Student] | None = None,
    promo_code: str = "",
) -> list[StudentResult]:
    """Enrol the cohort's students (or `students`) in `course`; a student who cannot be
    enrolled (already enrolled, no voucher left) gets an error and the rest go on."""
    group = _uses_group_enrollment(cohort, course)
    results = []
    for student in _in_order(students if students is not None else cohort.students.all()):
        try:
            # Held back for the group call in the transaction that makes it; made one by
            # one, it needs no transaction of its own around enrollment_create's.
            with transaction.atomic() if group else nullcontext():
                enrollment = enrollment_create(
                    student=student,
                    course=course,
                    funding_source=funding_source,
                    cohort=cohort,
                    promo_code=promo_code,
                )
                if group:
                    # Held back from one-by-one provisioning: the group call enrols them.
                    Enrollment.objects.filter(pk=enrollment.pk).update(
                        next_attempt_at=_far_future()
                    )
            results.append(StudentResult(student=student, enrollment=enrollment))
        except EnrollmentError as exc:
            results.append(_refused(student, exc))
    created = [r.enrollment.pk for r in results if r.enrollment]
    if group and created:
        enqueue_on_commit("enrollments.tasks.provision_group", created)
    return results


def students_enroll(
    *,
    students: Iterable[Student],
    course: PartnerCourse,
    funding_source: str = FundingSource.OTHER,
    promo_code: str = "",
) -> list[StudentResult]:
    """Enrol a selection of students (no cohort) in `course`, each on its own: one who
    cannot be enrolled gets an error and a reason, and the rest go on."""
    results = []
    for student in _in_order(students):
        try:
            enrollment = enrollment_create(
                student=student,
                course=course,
                funding_source=funding_source,
                promo_code=promo_code,
            )
            results.append(StudentResult(student=student, enrollment=enrollment))
        except EnrollmentError as exc:
            results.append(_refused(student, exc))
    return results


# --- Preview -----------------------------------------------------------------------------


@dataclass
class EnrolmentPreview:
    """What enrolling `students` in `course` would do now; nothing is written."""

    course: PartnerCourse
    students: list[Student]  # everyone asked for, in enrolment order
    already_enrolled: list[Enrollment]  # their open enrollments in the course
    to_enrol: list[Student]  # the others: each gets an enrollment if stock allows
    mode: str  # the partner's connection mode in force (or "misconfigured")
    configuration_error: str = ""  # what to set, when the partner cannot be used as is
    not_offered: str = ""  # why nobody can be enrolled (course or partner inactive)
    needs_voucher: bool = False
    vouchers_usable: int = 0  # the partner's usable vouchers for this course
    short: list[Student] = field(default_factory=list)  # who would find none left
    group_enrolment: bool = False  # one group call to the partner (cohort group code)

    @property
    def short_by(self) -> int:
        return len(self.short)

    @property
    def will_enrol(self) -> int:
        if self.not_offered:
            return 0
        return len(self.to_enrol) - self.short_by

    @property
    def waits_for_roster(self) -> bool:
        return self.mode == ConnectionMode.ROSTER

    @property
    def manual(self) -> bool:
        return self.mode == ConnectionMode.MANUAL


def enrolment_preview(
    *, course: PartnerCourse, students: Iterable[Student], cohort: Cohort | None = None
) -> EnrolmentPreview:
    """Say what enrolling `students` (a cohort's, or a selection) in `course` would do,
    by the rules `enrollment_create` applies; a fixed number of queries."""
    students = _in_order(students)
    already = list(
        Enrollment.objects.filter(
            course=course, status__in=OPEN_STATUSES, student__in=[s.pk for s in students]
        )
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "pk")
    )
    enrolled = {e.student_id for e in already}
    to_enrol = [s for s in students if s.pk not in enrolled]
    partner = course.partner
    health = partners_health(Partner.objects.filter(pk=partner.pk))[0]
    preview = EnrolmentPreview(
        course=course,
        students=students,
        already_enrolled=already,
        to_enrol=to_enrol,
        mode=health.mode,
        configuration_error=health.configuration_error,
        needs_voucher=course.needs_voucher,
        group_enrolment=cohort is not None and _uses_group_enrollment_safely(cohort, course),
    )
    if not course.active or not partner.active:
        preview.not_offered = f"{course} is not offered at the moment."
    if course.needs_voucher:
        preview.vouchers_usable = (
            vouchers_usable()
            .filter(partner_id=partner.pk)
            .filter(Q(course=course) | Q(course__isnull=True))
            .count()
        )
        if len(to_enrol) > preview.vouchers_usable:
            preview.short = to_enrol[preview.vouchers_usable :]
    return preview


def _uses_group_enrollment_safely(cohort: Cohort, course: PartnerCourse) -> bool:
    try:
        return _uses_group_enrollment(cohort, course)
    except PartnerConfigurationError:  # the preview reports the configuration instead
        return False


# --- Adding students to a cohort ---------------------------------------------------------

MAX_PASTED = 5000  # names in one paste


@dataclass
class CohortAddResult:
    cohort: Cohort
    added: list[Student] = field(default_factory=list)
    already_in: list[Student] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)  # an e-mail several students share


def cohort_add_students(*, cohort: Cohort, text: str) -> CohortAddResult:
    """Add to `cohort` the students named in `text`: e-mails or student references, one a
    line or comma (or semicolon) separated. A name that matches nobody, or an e-mail that
    several students share, is reported and adds nothing; the rest are added at once."""
    names = list(dict.fromkeys(n.strip() for n in re.split(r"[\n\r,;\t]+", text) if n.strip()))
    if len(names) > MAX_PASTED:
        raise ValueError(f"{len(names)} names: add at most {MAX_PASTED} at a time.")
    emails = [n.lower() for n in names if "@" in n]
    refs = [n for n in names if "@" not in n]
    matches = Student.objects.filter(Q(email__in=emails) | Q(external_ref__in=refs))
    by_email: dict[str, list[Student]] = {}
    by_ref: dict[str, Student] = {}
    for student in matches:
        by_email.setdefault(student.email, []).append(student)
        by_ref[student.external_ref] = student
    # References are matched as typed first, then ignoring case.
    by_ref_folded = {ref.casefold(): s for ref, s in by_ref.items()}
    missing_refs = [r for r in refs if r not in by_ref and r.casefold() not in by_ref_folded]
    if missing_refs:
        folded = Q()
        for ref in missing_refs:
            folded |= Q(external_ref__iexact=ref)
        for student in Student.objects.filter(folded):
            by_ref_folded[student.external_ref.casefold()] = student
    not_found, ambiguous = [], []
    found: dict[int, Student] = {}
    for name in names:
        if "@" in name:
            students = by_email.get(name.lower(), [])
            if len(students) > 1:
                ambiguous.append(name)
                continue
            student = students[0] if students else None
        else:
            student = by_ref.get(name) or by_ref_folded.get(name.casefold())
        if student is None:
            not_found.append(name)
        else:
            found.setdefault(student.pk, student)
    result = cohort_add(cohort=cohort, students=list(found.values()))
    result.not_found, result.ambiguous = not_found, ambiguous
    return result


def cohort_add(
    *, cohort: Cohort | None, students: Iterable[Student], new_name: str = ""
) -> CohortAddResult:
    """Add `students` to `cohort` (or to a cohort named `new_name`, made if there is none
    by that name); the ones already in it are reported apart."""
    if cohort is None:
        if not new_name.strip():
            raise ValueError("Choose a cohort or name a new one.")
        cohort, _ = Cohort.objects.get_or_create(name=new_name.strip())
    students = list({s.pk: s for s in students}.values())
    members = set(
        cohort.students.filter(pk__in=[s.pk for s in students]).values_list("pk", flat=True)
    )
    result = CohortAddResult(cohort=cohort)
    result.already_in = [s for s in students if s.pk in members]
    result.added = [s for s in students if s.pk not in members]
    cohort.students.add(*result.added)
    return result


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
