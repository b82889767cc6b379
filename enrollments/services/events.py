"""The one write path for partner events.

A webhook, a poll, a results-report row and a staff entry all become a canonical
`PartnerEvent`, and `enrollment_apply_event` is the only code that lets one change an
enrollment. Its rules, which make any order and any repetition of the same events end
in the same state:

- idempotent: an event with an id is applied once per enrollment (EnrollmentEvent);
- progress only rises; completion and the certificate are set once, never undone;
- score and pass/fail each follow the newest event that reported them;
- started_at / completed_at are the earliest times reported; last_event_at the latest;
- the enrollment row is locked while an event is applied;
- side effects (e-mails on completion and on the certificate) run once, on the
  transition, after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from enrollments.models import (
    Certificate,
    CertificateSource,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
)
from enrollments.services.errors import EnrollmentNotFound
from partners.events import EventSource, EventType, PartnerEvent

logger = logging.getLogger(__name__)

STARTED = (EnrollmentStatus.REQUESTED, EnrollmentStatus.SUBMITTED)
CERTIFICATE_SOURCE = {
    EventSource.WEBHOOK: CertificateSource.WEBHOOK,
    EventSource.POLL: CertificateSource.API,
    EventSource.IMPORT: CertificateSource.IMPORT,
    EventSource.MANUAL: CertificateSource.MANUAL,
}


@dataclass
class ApplyResult:
    enrollment: Enrollment
    changed: bool
    changes: dict = field(default_factory=dict)
    duplicate: bool = False


def find_enrollment_for_event(event: PartnerEvent) -> Enrollment:
    """By the partner's enrollment id; else by our student reference and course code
    (the newest enrollment, open ones first)."""
    base = Enrollment.objects.filter(partner__slug=event.partner)
    if event.external_enrollment_id:
        found = base.filter(external_enrollment_id=event.external_enrollment_id).first()
        if found:
            return found
    if event.student_ref and event.course_code:
        found = (
            base.filter(student__external_ref=event.student_ref, course__code=event.course_code)
            .exclude(status=EnrollmentStatus.CANCELLED)
            .order_by("-requested_at")
            .first()
        )
        if found:
            return found
    raise EnrollmentNotFound(
        f"No {event.partner} enrollment matches "
        + (
            f"partner id {event.external_enrollment_id!r}"
            if event.external_enrollment_id
            else f"student {event.student_ref!r} in {event.course_code!r}"
        )
    )


def enrollment_apply_event(event: PartnerEvent) -> ApplyResult:
    """Apply one canonical partner event to its enrollment (see the module docstring)."""
    target = find_enrollment_for_event(event)
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=target.pk)
        key = f"{event.source}:{event.event_id}" if event.event_id else ""
        if key and EnrollmentEvent.objects.filter(enrollment=enrollment, event_key=key).exists():
            return ApplyResult(enrollment=enrollment, changed=False, duplicate=True)

        before_status = enrollment.status
        changes, note = _apply(enrollment, event)
        certificate_created = False
        if event.certificate is not None and event.type != EventType.UNKNOWN:
            certificate_created, cert_note = _set_certificate(enrollment, event)
            note = note or cert_note
            if certificate_created:
                changes["certificate"] = event.certificate.number
        if changes:
            enrollment.save()
        if key or changes:
            # Under the row lock a concurrent copy of this event waits, then finds this row.
            EnrollmentEvent.objects.create(
                enrollment=enrollment,
                event_key=key,
                event_type=str(event.type),
                source=str(event.source),
                occurred_at=event.occurred_at,
                changes=_jsonable(changes),
                note=note[:300],
                raw=event.raw,
            )
        _after_commit(enrollment, before_status, certificate_created)
    return ApplyResult(enrollment=enrollment, changed=bool(changes), changes=changes)


def _apply(enrollment: Enrollment, event: PartnerEvent) -> tuple[dict, str]:
    changes: dict = {}
    when = event.occurred_at

    def set_(name, value):
        if getattr(enrollment, name) != value:
            changes[name] = value
            setattr(enrollment, name, value)

    if enrollment.status == EnrollmentStatus.CANCELLED:
        return {}, "enrollment is cancelled: event recorded, nothing changed"
    if event.type == EventType.UNKNOWN:
        return {}, f"event type not handled: {event.raw.get('type', '?')}"

    if enrollment.status in STARTED or enrollment.status == EnrollmentStatus.FAILED:
        # The partner is telling us about it, so it exists and is under way there.
        set_("status", EnrollmentStatus.ACTIVE)
    if enrollment.started_at is None or when < enrollment.started_at:
        set_("started_at", when)
    if enrollment.last_event_at is None or when > enrollment.last_event_at:
        set_("last_event_at", when)
        set_("partner_data", event.raw or enrollment.partner_data)

    if event.progress_percent is not None and event.progress_percent > enrollment.progress_percent:
        set_("progress_percent", event.progress_percent)

    # Each follows the newest event that reported it (a retake can lower a score).
    if event.score is not None and (
        enrollment.score_as_of is None or when > enrollment.score_as_of
    ):
        set_("score", event.score)
        set_("score_as_of", when)
    if event.passed is not None and (
        enrollment.passed_as_of is None or when > enrollment.passed_as_of
    ):
        set_("passed", event.passed)
        set_("passed_as_of", when)

    completes = event.type in (EventType.COURSE_COMPLETED, EventType.CERTIFICATE_ISSUED)
    if completes and event.passed is not False:
        completed_at = event.completed_at or when
        if enrollment.status != EnrollmentStatus.COMPLETED:
            set_("status", EnrollmentStatus.COMPLETED)
            set_("progress_percent", 100)
            set_("completed_at", completed_at)
            set_("next_attempt_at", None)
            set_("last_error", "")
        elif enrollment.completed_at is None or completed_at < enrollment.completed_at:
            set_("completed_at", completed_at)
    return changes, ""


def _set_certificate(enrollment: Enrollment, event: PartnerEvent) -> tuple[bool, str]:
    cert = event.certificate
    existing = Certificate.objects.filter(enrollment=enrollment).first()
    if existing is not None:
        if existing.number == cert.number:
            return False, ""
        logger.warning(
            "Enrollment %s already has certificate %s; %s from %s ignored",
            enrollment.pk,
            existing.number,
            cert.number,
            event.source,
        )
        return False, f"certificate {cert.number} ignored: {existing.number} was set first"
    Certificate.objects.create(
        enrollment=enrollment,
        number=cert.number,
        issued_at=cert.issued_at,
        expires_at=cert.expires_at,
        url=cert.url,
        verification_url=cert.verification_url,
        source=CERTIFICATE_SOURCE.get(event.source, CertificateSource.API),
        partner_data=cert.raw,
    )
    return True, ""


def _after_commit(enrollment: Enrollment, before_status: str, certificate_created: bool) -> None:
    from enrollments.services import notifications
    from enrollments.services.vouchers import voucher_redeem

    if (
        before_status != EnrollmentStatus.COMPLETED
        and enrollment.status == EnrollmentStatus.COMPLETED
    ):
        voucher_redeem(enrollment=enrollment)
        transaction.on_commit(lambda: notifications.send_course_completed(enrollment.pk))
    if certificate_created:
        transaction.on_commit(lambda: notifications.send_certificate_issued(enrollment.pk))


def _jsonable(changes: dict) -> dict:
    out = {}
    for name, value in changes.items():
        if isinstance(value, datetime):
            out[name] = value.isoformat()
        elif name == "partner_data":
            out[name] = "(updated)"
        else:
            out[name] = value if isinstance(value, (int, str, bool, type(None))) else str(value)
    return out
