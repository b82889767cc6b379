"""Staff outcomes: what a member of staff records for an enrollment.

A result looked up on a partner's portal, a completion a `manual` partner reported by
e-mail, a card handed over on paper: each becomes a MANUAL partner event with the staff
member as its source and goes through `enrollment_apply_event`, like a webhook, a poll or
an import row. So the rules hold here too (progress never goes down, completion and the
certificate are set once, a cancelled enrollment takes nothing) and the same e-mails go
out, once. Nothing else writes an enrollment's partner-derived fields.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from enrollments.models import Certificate, Enrollment, EnrollmentStatus
from enrollments.services.errors import EnrollmentError, EnrollmentStateError
from enrollments.services.events import ApplyResult, enrollment_apply_event
from partners.events import EventSource, EventType, PartnerEvent
from partners.results import CertificateResult


@dataclass(frozen=True)
class Outcome:
    """What staff record. Empty fields say nothing (they change nothing)."""

    progress_percent: int | None = None
    completed: bool = False
    # When it was completed (or the certificate issued); now when not given.
    completed_at: datetime | None = None
    score: Decimal | None = None
    passed: bool | None = None
    certificate_number: str = ""
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    verification_url: str = ""
    note: str = ""

    def event_type(self) -> EventType:
        if self.certificate_number:
            return EventType.CERTIFICATE_ISSUED
        if self.completed:
            return EventType.COURSE_COMPLETED
        return EventType.PROGRESS_UPDATED


def enrollment_record_outcome(
    *,
    enrollment: Enrollment,
    outcome: Outcome,
    recorded_by_id: int,
    evidence: File | None = None,
) -> ApplyResult:
    """Apply `outcome` to `enrollment` as a MANUAL event recorded by the staff user
    `recorded_by_id`; `evidence` (e.g. the certificate's PDF) is kept on the certificate.

    EnrollmentStateError for a cancelled enrollment, or a completion with a fail: a failed
    exam is a result, not a completion."""
    if enrollment.status == EnrollmentStatus.CANCELLED:
        raise EnrollmentStateError("A cancelled enrollment takes no outcome.")
    if outcome.passed is False and (outcome.completed or outcome.certificate_number):
        raise EnrollmentStateError(
            "A failed result is not a completion: record it without completing."
        )
    if evidence is not None and not outcome.certificate_number and not _has_certificate(enrollment):
        raise EnrollmentStateError("Evidence is kept with a certificate: give its number.")
    now = timezone.now()
    when = outcome.completed_at or outcome.issued_at or now
    certificate = None
    if outcome.certificate_number:
        certificate = CertificateResult(
            number=outcome.certificate_number.strip(),
            issued_at=outcome.issued_at or when,
            expires_at=outcome.expires_at,
            verification_url=outcome.verification_url.strip(),
        )
    event = PartnerEvent(
        type=outcome.event_type(),
        partner=enrollment.partner.slug,
        occurred_at=when,
        enrollment_id=enrollment.pk,
        progress_percent=100 if outcome.completed else outcome.progress_percent,
        score=outcome.score,
        passed=outcome.passed,
        completed_at=outcome.completed_at if outcome.completed else None,
        certificate=certificate,
        source=EventSource.MANUAL,
        event_id=uuid.uuid4().hex,
        recorded_by=recorded_by_id,
        raw={"recorded_at": now.isoformat(), "note": outcome.note} if outcome.note else {},
    )
    with transaction.atomic():
        result = enrollment_apply_event(event)
        if evidence is not None:
            _keep_evidence(enrollment, evidence, number=outcome.certificate_number.strip())
    return result


def enrollments_record_outcome(
    *, enrollments: Iterable[Enrollment], outcome: Outcome, recorded_by_id: int
) -> list[tuple[Enrollment, ApplyResult | None, str]]:
    """The same outcome for each enrollment ("mark these 12 completed on this date"),
    each in its own transaction: (enrollment, result, "") or (enrollment, None, why not)."""
    done = []
    for enrollment in enrollments:
        try:
            result = enrollment_record_outcome(
                enrollment=enrollment, outcome=outcome, recorded_by_id=recorded_by_id
            )
        except EnrollmentError as exc:
            done.append((enrollment, None, str(exc)))
        else:
            done.append((enrollment, result, ""))
    return done


def _has_certificate(enrollment: Enrollment) -> bool:
    return Certificate.objects.filter(enrollment=enrollment).exists()


def _keep_evidence(enrollment: Enrollment, evidence: File, *, number: str) -> None:
    certificate = Certificate.objects.select_for_update().get(enrollment=enrollment)
    if number and certificate.number != number:
        # The first certificate stands (the write path kept it): this file is not its.
        raise EnrollmentStateError(
            f"Certificate {certificate.number} is on record, not {number}: "
            "the evidence was not kept."
        )
    certificate.file.save(evidence.name.rsplit("/", 1)[-1], evidence, save=False)
    certificate.save(update_fields=["file"])
