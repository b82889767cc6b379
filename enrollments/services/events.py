"""The one write path for partner events.

A webhook, a poll, a results-report row and a staff entry all become a canonical
`PartnerEvent`, and `enrollment_apply_event` is the only code that lets one change an
enrollment. Its rules, which make any order and any repetition of the same events end
in the same state:

- idempotent: an event with an id is applied once per enrollment (EnrollmentEvent);
- progress only rises; completion and the certificate are set once, never undone;
- score and pass/fail each follow the newest event that reported them; on equal times
  the higher score and a pass win, so arrival order never decides;
- started_at is the earliest time the partner reported activity (progress above 0, a
  score, a result or completion), not the first time it answered; completed_at is the
  earliest completion reported; last_event_at the latest event;
- a cancelled enrollment takes no new outcome: the event is recorded as ignored, with
  the reason, and nothing is sent;
- an event that names the student and course (not the partner's enrollment id) waits
  while an `api` partner has not confirmed the enrollment (EnrollmentNotConfirmed, a
  kind of EnrollmentNotFound: webhooks defer it), so it cannot make an enrollment active
  that provisioning has not finished;
- a value that cannot be used (a score of 1e20 or NaN, a progress of -5, a certificate
  link that is not http(s)) is left out and the rest of the event applied; the record
  says what was left out and why (PartnerEvent.checked);
- a poll that changes nothing writes nothing;
- the enrollment row is locked while an event is applied;
- side effects run once, on the transition, after commit (services/transitions.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.db import connection, transaction
from django.utils import timezone

from enrollments.models import (
    Certificate,
    CertificateSource,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
)
from enrollments.services.errors import EnrollmentNotConfirmed, EnrollmentNotFound
from enrollments.services.transitions import certificate_issued, enrollment_status_changed
from partners.config import effective_mode
from partners.events import EventSource, EventType, PartnerEvent
from partners.models import Partner
from partners.modes import ConnectionMode

logger = logging.getLogger(__name__)

STARTED = (EnrollmentStatus.REQUESTED, EnrollmentStatus.SUBMITTED)
CERTIFICATE_SOURCE = {
    EventSource.WEBHOOK: CertificateSource.WEBHOOK,
    EventSource.POLL: CertificateSource.API,
    EventSource.IMPORT: CertificateSource.IMPORT,
    EventSource.MANUAL: CertificateSource.MANUAL,
}


# What every poll answer changes: on their own they are not a change worth a write.
BOOKKEEPING = frozenset({"last_event_at", "partner_data"})


@dataclass
class ApplyResult:
    enrollment: Enrollment
    changed: bool
    changes: dict = field(default_factory=dict)
    duplicate: bool = False
    # Why the event changed nothing on purpose (e.g. the enrollment is cancelled).
    ignored: str = ""
    # Values of the partner's answer that were left out, and why.
    problems: tuple[str, ...] = ()


def _lock_enrollment(event: PartnerEvent) -> Enrollment | None:
    """The event's enrollment, its row locked until the transaction ends: by our id when
    the event carries it; else by the partner's enrollment id; else by our student
    reference and course code (the newest enrollment that is not cancelled)."""
    if event.enrollment_id is not None:
        params = [event.partner, event.enrollment_id]
        sql = _by_partner_id_sql(connection.vendor, "id")
        return next(iter(Enrollment.objects.raw(sql, params)), None)
    if event.external_enrollment_id:
        params = [event.partner, event.external_enrollment_id]
        found = next(
            iter(Enrollment.objects.raw(_by_partner_id_sql(connection.vendor), params)), None
        )
        if found is not None:
            return found
    if event.student_ref and event.course_code:
        return (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("partner")
            .filter(
                partner__slug=event.partner,
                student__external_ref=event.student_ref,
                course__code=event.course_code,
            )
            .exclude(status=EnrollmentStatus.CANCELLED)
            .order_by("-requested_at")
            .first()
        )
    return None


@cache
def _by_partner_id_sql(vendor: str, field: str = "external_enrollment_id") -> str:
    """The lookup every webhook and poll makes (by the partner's enrollment id; by ours,
    `field="id"`, for staff entries and import rows), written once: the ORM would compile
    the same query again for each event, which cost more than running it."""
    qn = connection.ops.quote_name
    enrollment, partner = Enrollment._meta, Partner._meta
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (
        f"SELECT * FROM {qn(enrollment.db_table)}"
        f" WHERE {qn(enrollment.get_field('partner').column)} = ("
        f"SELECT {qn(partner.pk.column)} FROM {qn(partner.db_table)}"
        f" WHERE {qn(partner.get_field('slug').column)} = %s)"
        f" AND {qn(enrollment.get_field(field).column)} = %s{lock}"
    )


def _not_found(event: PartnerEvent) -> EnrollmentNotFound:
    if event.enrollment_id is not None:
        named = f"enrollment {event.enrollment_id}"
    elif event.external_enrollment_id:
        named = f"partner id {event.external_enrollment_id!r}"
    else:
        named = f"student {event.student_ref!r} in {event.course_code!r}"
    return EnrollmentNotFound(f"No {event.partner} enrollment matches {named}")


def enrollment_apply_event(event: PartnerEvent) -> ApplyResult:
    """Apply one canonical partner event to its enrollment (see the module docstring).

    Three statements when the event changes something: a SELECT that finds the
    enrollment and locks its row, the INSERT of the EnrollmentEvent, and an UPDATE of
    the changed columns. The record goes in before the update and only if the unique
    (enrollment, event key) lets it: that constraint, not a read beforehand, is what says
    the event was applied before, so two copies racing cannot both apply it."""
    event = event.checked()
    key = f"{event.source}:{event.event_id}" if event.event_id else ""
    # Inside a caller's transaction no savepoint is added (two round trips per event):
    # an error here fails the caller's transaction, and the caller decides what to roll
    # back (webhook processing gives each event a savepoint when it needs to).
    with transaction.atomic(savepoint=False):
        enrollment = _lock_enrollment(event)
        waiting = enrollment is not None and _not_confirmed(enrollment, event)
        if enrollment is not None and not waiting:
            result = _apply_locked(enrollment, event, key)
    if enrollment is None:
        raise _not_found(event)
    if waiting:
        raise EnrollmentNotConfirmed(
            f"{event.partner} has not confirmed enrollment {enrollment.pk} yet (it is "
            f"{enrollment.status}): an event for student {event.student_ref!r} in "
            f"{event.course_code!r} waits until provisioning has enrolled them"
        )
    return result


def enrollment_event_preview(
    enrollment: Enrollment, event: PartnerEvent, *, certificate_number: str | None
) -> ApplyResult:
    """What `enrollment_apply_event` would change, by the same rules, writing nothing: for
    previews (result imports). `enrollment` is an instance the caller owns; it is left
    as if the event had been applied, so several events for it preview in order.
    `certificate_number` is the certificate on record (None: none). Whether the event was
    applied before (its key) is the caller's to check."""
    event = event.checked()
    ignored = _ignored_because(enrollment, event)
    changes: dict = {}
    if not ignored:
        changes, _ = _apply(enrollment, event)
        if event.certificate is not None and certificate_number is None:
            changes["certificate"] = event.certificate.number
    return ApplyResult(
        enrollment=enrollment,
        changed=bool(changes),
        changes=changes,
        ignored=ignored,
        problems=event.problems,
    )


def _not_confirmed(enrollment: Enrollment, event: PartnerEvent) -> bool:
    """An event found by student and course for an `api` partner's enrollment that the
    partner has not confirmed (no enrollment id of theirs yet). Applying it would make an
    enrollment active that has no partner enrollment to sync, launch or retry."""
    return (
        not enrollment.external_enrollment_id
        and enrollment.status in (EnrollmentStatus.REQUESTED, EnrollmentStatus.FAILED)
        and event.source in (EventSource.WEBHOOK, EventSource.POLL)
        and effective_mode(enrollment.partner) == ConnectionMode.API
    )


def _apply_locked(enrollment: Enrollment, event: PartnerEvent, key: str) -> ApplyResult:
    before_status = enrollment.status
    ignored = _ignored_because(enrollment, event)
    certificate, notes = None, []
    if ignored:
        changes, before = {}, {}
        notes.append(f"ignored: {ignored}")
    else:
        changes, before = _apply(enrollment, event)
        if event.certificate is not None:
            certificate, cert_note = _new_certificate(enrollment, event)
            if certificate is not None:
                changes["certificate"] = certificate.number
            if cert_note:
                notes.append(cert_note)
                logger.warning(
                    "Enrollment %s: %s (from %s)", enrollment.pk, cert_note, event.source
                )
    if event.problems:
        notes.append("left out: " + "; ".join(event.problems))
    if event.source == EventSource.POLL and not ignored and BOOKKEEPING.issuperset(changes):
        # A poll that found nothing new: no record, no write. (Its answer is not an event
        # of the partner's; a webhook's or a report row's is, and is always recorded.)
        for name, value in before.items():
            setattr(enrollment, name, value)
        return ApplyResult(enrollment=enrollment, changed=False, problems=event.problems)
    if not _record(enrollment, event, key, changes, " | ".join(notes)):
        # Applied before: nothing is written, and the instance is put back as it was.
        for name, value in before.items():
            setattr(enrollment, name, value)
        return ApplyResult(enrollment=enrollment, changed=False, duplicate=True)
    columns = {name: value for name, value in changes.items() if name != "certificate"}
    if columns:
        # An UPDATE of just these columns: Model.save() costs twice as much per event.
        enrollment.updated_at = columns["updated_at"] = timezone.now()
        Enrollment.objects.filter(pk=enrollment.pk).update(**columns)
    if enrollment.status != before_status:
        enrollment_status_changed(enrollment, before=before_status)
    if certificate is not None:
        certificate.save(force_insert=True)
        certificate_issued(enrollment)
    return ApplyResult(
        enrollment=enrollment,
        changed=bool(changes),
        changes=changes,
        ignored=ignored,
        problems=event.problems,
    )


def _ignored_because(enrollment: Enrollment, event: PartnerEvent) -> str:
    """Why this event may change nothing at all ('' when it may)."""
    if enrollment.status == EnrollmentStatus.CANCELLED:
        return "the enrollment is cancelled and takes no new outcome"
    if event.type == EventType.UNKNOWN:
        return f"event type not handled: {str(event.raw.get('type', '?'))[:60]}"
    return ""


def _record(
    enrollment: Enrollment, event: PartnerEvent, key: str, changes: dict, note: str
) -> bool:
    """Record the event on the enrollment; False, recording nothing, when an event with
    this key is recorded already."""
    record = EnrollmentEvent(
        enrollment=enrollment,
        event_key=key,
        event_type=str(event.type),
        source=str(event.source),
        occurred_at=event.occurred_at,
        changes=_jsonable(changes),
        note=note[:300],
        raw=event.raw,
        recorded_by_id=event.recorded_by,
    )
    if not key:  # a poll: recorded because it changed something, never a duplicate
        record.save(force_insert=True)
        return True
    return EnrollmentEvent.objects.insert_unless_duplicate(
        record, unique={"enrollment": enrollment, "event_key": key}
    )


def _apply(enrollment: Enrollment, event: PartnerEvent) -> tuple[dict, dict]:
    """Set the event's changes on the instance, writing nothing; return them and the
    values they replaced."""
    changes: dict = {}
    before: dict = {}
    when = event.occurred_at

    def set_(name, value):
        current = getattr(enrollment, name)
        if current != value:
            before.setdefault(name, current)
            changes[name] = value
            setattr(enrollment, name, value)

    if enrollment.status in STARTED or enrollment.status == EnrollmentStatus.FAILED:
        # The partner is telling us about it, so it exists and is under way there.
        set_("status", EnrollmentStatus.ACTIVE)
    completes = (
        event.type in (EventType.COURSE_COMPLETED, EventType.CERTIFICATE_ISSUED)
        and event.passed is not False
    )
    # Answering is not starting: only progress, a result or completion is activity.
    activity = (
        bool(event.progress_percent)
        or event.score is not None
        or event.passed is not None
        or completes
    )
    if activity and (enrollment.started_at is None or when < enrollment.started_at):
        set_("started_at", when)
    if enrollment.last_event_at is None or when > enrollment.last_event_at:
        set_("last_event_at", when)
        set_("partner_data", event.raw or enrollment.partner_data)
    elif when == enrollment.last_event_at and _sorts_after(event.raw, enrollment.partner_data):
        set_("partner_data", event.raw)  # a tie: the same payload wins in any order

    if event.progress_percent is not None and event.progress_percent > enrollment.progress_percent:
        set_("progress_percent", event.progress_percent)

    # Each follows the newest event that reported it (a retake can lower a score); on
    # equal times the higher score and a pass win, whichever arrived first.
    if event.score is not None and (
        enrollment.score_as_of is None
        or when > enrollment.score_as_of
        or (when == enrollment.score_as_of and event.score > (enrollment.score or 0))
    ):
        set_("score", event.score)
        set_("score_as_of", when)
    if event.passed is not None and (
        enrollment.passed_as_of is None
        or when > enrollment.passed_as_of
        or (when == enrollment.passed_as_of and event.passed and not enrollment.passed)
    ):
        set_("passed", event.passed)
        set_("passed_as_of", when)

    if completes:
        completed_at = event.completed_at or when
        if enrollment.status != EnrollmentStatus.COMPLETED:
            set_("status", EnrollmentStatus.COMPLETED)
            set_("progress_percent", 100)
            set_("completed_at", completed_at)
            set_("next_attempt_at", None)
            set_("last_error", "")
        elif enrollment.completed_at is None or completed_at < enrollment.completed_at:
            set_("completed_at", completed_at)
    return changes, before


def _new_certificate(enrollment: Enrollment, event: PartnerEvent) -> tuple[Certificate | None, str]:
    """The certificate to add (unsaved), or None and why not: it is there already, or
    another number was set first (the first one stands)."""
    cert = event.certificate
    existing = Certificate.objects.filter(enrollment=enrollment).first()
    if existing is not None:
        if existing.number == cert.number:
            return None, ""
        return None, f"certificate {cert.number} ignored: {existing.number} was set first"
    return (
        Certificate(
            enrollment=enrollment,
            number=cert.number,
            issued_at=cert.issued_at,
            expires_at=cert.expires_at,
            url=cert.url,
            verification_url=cert.verification_url,
            source=CERTIFICATE_SOURCE.get(event.source, CertificateSource.API),
            partner_data=cert.raw,
        ),
        "",
    )


def _sorts_after(payload: dict, current: dict) -> bool:
    if not payload:
        return False
    return json.dumps(payload, sort_keys=True, default=str) > json.dumps(
        current, sort_keys=True, default=str
    )


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
