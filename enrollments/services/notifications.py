"""E-mails to students. Each (enrollment, kind, key) is sent once and recorded in
StudentEmail; a send that fails leaves no record, so the next run tries again."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone

from config.db import savepoint_if_nested
from enrollments.models import (
    Certificate,
    EmailKind,
    Enrollment,
    EnrollmentStatus,
    PartnerAccount,
    StudentEmail,
    Voucher,
)
from partners.config import PartnerConfigurationError, effective_mode
from partners.events import is_web_link
from partners.modes import ConnectionMode

logger = logging.getLogger(__name__)

LAUNCH_SALT = "partnerhub.enrollment.launch"
# Stands for a temporary password in the copy of an e-mail kept for staff.
PASSWORD_NOT_KEPT = "(sent to the student once; not kept)"

SUBJECTS = {
    EmailKind.ACCOUNT_CREATED: "Your {partner} login",
    EmailKind.ENROLLMENT_ACTIVE: "You're enrolled: {course}",
    EmailKind.COURSE_COMPLETED: "Well done: you completed {course}",
    EmailKind.CERTIFICATE_ISSUED: "Your certificate for {course}",
    EmailKind.EXPIRY_REMINDER: "Your {credential} expires in {days} days",
}


def launch_link(enrollment: Enrollment) -> str:
    """A lasting link to start the course: it asks the partner for a fresh, short-lived
    sign-in URL at the moment the student clicks (the partner's own expires in minutes)."""
    token = signing.dumps({"e": enrollment.pk}, salt=LAUNCH_SALT)
    return settings.SITE_URL.rstrip("/") + reverse("enrollment-launch", args=[token])


def _send_once(enrollment: Enrollment, kind: str, context: dict, *, key: str = "") -> bool:
    student = enrollment.student
    subject = SUBJECTS[kind].format(
        partner=enrollment.partner.name,
        course=enrollment.course.title,
        credential=enrollment.course.credential_name or enrollment.course.title,
        days=key,
    )
    context = {
        "student": student,
        "enrollment": enrollment,
        "course": enrollment.course,
        "partner": enrollment.partner,
        "site_url": settings.SITE_URL.rstrip("/"),
        **context,
    }
    text = _render_text(f"emails/{kind}.txt", context)
    kept = text
    if context.get("temporary_password"):
        kept = _render_text(
            f"emails/{kind}.txt", {**context, "temporary_password": PASSWORD_NOT_KEPT}
        )
    record = StudentEmail(
        enrollment=enrollment,
        kind=kind,
        key=key,
        recipient=student.email,
        subject=subject,
        body=kept,
    )
    try:
        # E-mails are sent after a commit: there the INSERT commits on its own.
        with savepoint_if_nested():
            record.save(force_insert=True)
    except IntegrityError:
        return False  # already sent
    try:
        message = EmailMultiAlternatives(subject=subject, body=text, to=[student.email])
        message.attach_alternative(render_to_string(f"emails/{kind}.html", context), "text/html")
        message.send()
    except Exception:
        record.delete()
        logger.exception("Could not send %s e-mail for enrollment %s", kind, enrollment.pk)
        return False
    return True


def _render_text(name: str, context: dict) -> str:
    """A plain-text body: nothing is HTML-escaped (O'Brien stays O'Brien, not
    O&#x27;Brien); the HTML alternative is rendered with escaping as usual."""
    return get_template(name).template.render(Context(context, autoescape=False))


RELATED = ("student", "course", "partner")


def _load(enrollment_id: int, loaded: Enrollment | None = None) -> Enrollment:
    """The enrollment with its student, course and partner. `loaded`: the enrollment the
    caller saved in the transaction that just committed; it is used as it is when those
    three are loaded on it already (provisioning's), saving a second read of the rows."""
    if (
        loaded is not None
        and loaded.pk == enrollment_id
        and all(Enrollment._meta.get_field(name).is_cached(loaded) for name in RELATED)
    ):
        return loaded
    return Enrollment.objects.select_related(*RELATED).get(pk=enrollment_id)


def _partner_account(enrollment: Enrollment) -> PartnerAccount | None:
    return PartnerAccount.objects.filter(
        student=enrollment.student, partner=enrollment.partner
    ).first()


def start_link(enrollment: Enrollment) -> str:
    """Where the student starts the course. An `api` partner: our lasting launch link (it
    asks the partner for a fresh sign-in). A `roster` or `manual` partner cannot be asked:
    the partner link recorded on the enrollment, else none (the coordinator says how)."""
    try:
        api = effective_mode(enrollment.partner) == ConnectionMode.API
    except PartnerConfigurationError:
        api = False
    if api:
        return launch_link(enrollment)
    return enrollment.launch_url if is_web_link(enrollment.launch_url) else ""


def send_enrollment_active(
    enrollment_id: int,
    *,
    temporary_password: str | None = None,
    loaded: Enrollment | None = None,
    account: PartnerAccount | None = None,
    voucher_code: str | None = None,
) -> bool:
    """How to start: the launch link, the partner login, the voucher code taken for the
    student (if it has a code), and a temporary password once. `loaded`: see _load;
    `account` and `voucher_code`: given by a caller that has just read them (None: read
    here)."""
    enrollment = _load(enrollment_id, loaded)
    if account is None or (account.student_id, account.partner_id) != (
        enrollment.student_id,
        enrollment.partner_id,
    ):
        account = _partner_account(enrollment)
    if voucher_code is None:
        voucher_code = (
            Voucher.objects.filter(enrollment=enrollment)
            .exclude(code="")
            .values_list("code", flat=True)
            .first()
        )
    return _send_once(
        enrollment,
        EmailKind.ENROLLMENT_ACTIVE,
        {
            "account": account,
            "launch_link": start_link(enrollment),
            "voucher_code": voucher_code or "",
            "temporary_password": temporary_password,
        },
    )


def send_account_created(enrollment_id: int, *, temporary_password: str) -> bool:
    """The partner gave a temporary password but the enrolment is not through yet: hand the
    password on now, since it is never stored."""
    enrollment = _load(enrollment_id)
    account = _partner_account(enrollment)
    return _send_once(
        enrollment,
        EmailKind.ACCOUNT_CREATED,
        {"account": account, "temporary_password": temporary_password},
    )


def send_course_completed(enrollment_id: int) -> bool:
    return _send_once(_load(enrollment_id), EmailKind.COURSE_COMPLETED, {})


def send_certificate_issued(enrollment_id: int) -> bool:
    enrollment = _load(enrollment_id)
    certificate = Certificate.objects.filter(enrollment=enrollment).first()
    if certificate is not None:
        # The write path keeps only http(s) links; a row stored before it did is not
        # trusted either (never a `javascript:` link in an e-mail).
        for name in ("url", "verification_url"):
            if getattr(certificate, name) and not is_web_link(getattr(certificate, name)):
                setattr(certificate, name, "")
    return _send_once(enrollment, EmailKind.CERTIFICATE_ISSUED, {"certificate": certificate})


def send_expiry_reminders(*, now=None, days: list[int] | None = None) -> int:
    """Remind students whose certificate expires within one of `days` (default
    CERTIFICATE_REMINDER_DAYS: 60, 30, 7). Only the nearest stage is sent: a certificate
    found 5 days before expiry gets the 7-day reminder, not all three."""
    now = now or timezone.now()
    stages = sorted(days or settings.CERTIFICATE_REMINDER_DAYS)
    if not stages:
        return 0
    certificates = (
        Certificate.objects.filter(
            expires_at__gt=now, expires_at__lte=now + timedelta(days=stages[-1])
        )
        .exclude(enrollment__status=EnrollmentStatus.CANCELLED)
        .select_related("enrollment__student", "enrollment__course", "enrollment__partner")
    )
    sent = 0
    for certificate in certificates.iterator():
        stage = next(d for d in stages if certificate.expires_at <= now + timedelta(days=d))
        sent += _send_once(
            certificate.enrollment,
            EmailKind.EXPIRY_REMINDER,
            {"certificate": certificate, "days": stage},
            key=str(stage),
        )
    return sent
