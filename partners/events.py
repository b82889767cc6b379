"""The canonical partner event: what a webhook, a poll, a results-report row and a staff
entry all turn into before `enrollments.services.enrollment_apply_event` applies it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from partners.results import CertificateResult


class EventType(StrEnum):
    ENROLLMENT_CREATED = "enrollment.created"
    PROGRESS_UPDATED = "progress.updated"
    COURSE_COMPLETED = "course.completed"
    CERTIFICATE_ISSUED = "certificate.issued"
    # A type we do not handle: kept (with its raw payload), never a crash.
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: Any) -> EventType:
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNKNOWN


class EventSource(StrEnum):
    WEBHOOK = "webhook"
    POLL = "poll"
    IMPORT = "import"
    MANUAL = "manual"


@dataclass(frozen=True)
class PartnerEvent:
    """Completion is a COURSE_COMPLETED event (or a poll whose ProgressResult says
    completed), never a progress of 100 alone."""

    type: EventType
    partner: str
    occurred_at: datetime
    # Which enrollment: the partner's id, or (student ref, course code) where a partner
    # or a report only knows those.
    external_enrollment_id: str = ""
    student_ref: str = ""
    course_code: str = ""
    progress_percent: int | None = None
    score: Decimal | None = None
    passed: bool | None = None
    completed_at: datetime | None = None
    certificate: CertificateResult | None = None
    source: EventSource = EventSource.WEBHOOK
    event_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
