"""Reads for enrollments (no side effects)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from enrollments.models import Enrollment, EnrollmentEvent, StudentEmail

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


TimelineSource = Callable[[Enrollment, int], Iterable[TimelineEntry]]
# Apps above this one add their records to an enrollment's timeline (monitoring: every
# partner call made for it) without enrollments importing them.
_timeline_sources: dict[str, TimelineSource] = {}


def add_timeline_source(name: str, source: TimelineSource) -> None:
    """Register `source(enrollment, limit)` (at app ready); the name makes it idempotent."""
    _timeline_sources[name] = source


def enrollment_timeline(enrollment: Enrollment) -> list[TimelineEntry]:
    """What happened to one enrollment, oldest first: partner events applied, the e-mails
    its student was sent, and what registered sources add (partner calls)."""
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
    for source in _timeline_sources.values():
        entries.extend(source(enrollment, TIMELINE_LIMIT))
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
