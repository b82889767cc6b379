"""Reads for enrollments (no side effects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from enrollments.models import Enrollment, EnrollmentEvent, StudentEmail
from monitoring.models import PartnerRequestLog

TIMELINE_LIMIT = 200


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "event", "call", "email"
    title: str
    detail: str = ""
    correlation_id: str = ""
    ok: bool = True
    link: str = ""


def enrollment_timeline(enrollment: Enrollment) -> list[TimelineEntry]:
    """What happened to one enrollment, oldest first: partner events applied, every
    partner call made for it, and the e-mails its student was sent."""
    entries = [TimelineEntry(at=enrollment.requested_at, kind="event", title="Requested")]
    for event in EnrollmentEvent.objects.filter(enrollment=enrollment).order_by("-applied_at")[
        :TIMELINE_LIMIT
    ]:
        changed = ", ".join(f"{k}: {v}" for k, v in event.changes.items() if k != "partner_data")
        entries.append(
            TimelineEntry(
                at=event.applied_at,
                kind="event",
                title=f"{event.event_type} ({event.source})",
                detail=changed or event.note or "no change",
            )
        )
    logs = PartnerRequestLog.objects.filter(enrollment_id=enrollment.pk).order_by("-created_at")
    for log in logs[:TIMELINE_LIMIT]:
        entries.append(
            TimelineEntry(
                at=log.created_at,
                kind="call",
                title=f"{log.method} {log.operation} (attempt {log.attempt})",
                detail=f"{log.status_code or log.error_class or log.outcome} "
                f"in {log.duration_ms} ms",
                correlation_id=log.correlation_id,
                ok=log.outcome == "success",
                link=f"/admin/monitoring/partnerrequestlog/{log.pk}/change/",
            )
        )
    for email in StudentEmail.objects.filter(enrollment=enrollment)[:TIMELINE_LIMIT]:
        entries.append(
            TimelineEntry(
                at=email.sent_at,
                kind="email",
                title=f"E-mail: {email.subject}",
                detail=email.recipient,
            )
        )
    return sorted(entries, key=lambda e: e.at)
