"""The canonical partner event: what a webhook, a poll, a results-report row and a staff
entry all turn into before `enrollments.services.enrollment_apply_event` applies it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
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
    # Which enrollment: ours, where the channel knows it (a staff entry, an import row
    # already matched); else the partner's id, or (student ref, course code) where a
    # partner or a report only knows those.
    enrollment_id: int | None = None
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
    # Who entered it at our end: the staff user's id for a MANUAL event or an IMPORT.
    recorded_by: int | None = None
    # Fields of the partner's answer that could not be used, and why: the parser drops a
    # bad value rather than the whole event, and the write path records the reason.
    problems: tuple[str, ...] = ()

    def checked(self) -> PartnerEvent:
        """This event with every value we cannot store or trust taken out, each with a
        problem saying why: a score that is not a finite number within SCORE_RANGE, a
        progress outside 0-100, a certificate link that is not http(s)."""
        problems = list(self.problems)
        changes: dict[str, Any] = {}
        if self.score is not None and not _score_ok(self.score):
            problems.append(
                f"score {self.score!s:.40} is not a number from {SCORE_RANGE[0]} to "
                f"{SCORE_RANGE[1]}"
            )
            changes["score"] = None
        progress = self.progress_percent
        if progress is not None and (
            isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100
        ):
            problems.append(f"progress {progress!s:.40} is not a percentage from 0 to 100")
            changes["progress_percent"] = None
        if self.certificate is not None:
            links = {}
            for name in ("url", "verification_url"):
                value = getattr(self.certificate, name)
                if value and not is_web_link(value):
                    problems.append(f"certificate {name} {value!r:.60} is not an http(s) link")
                    links[name] = ""
            if links:
                changes["certificate"] = replace(self.certificate, **links)
        if not changes and len(problems) == len(self.problems):
            return self
        return replace(self, problems=tuple(problems), **changes)


# What Enrollment.score can hold (max_digits=7, decimal_places=2).
SCORE_RANGE = (Decimal(0), Decimal("99999.99"))
LINK_MAX_LENGTH = 1000


def _score_ok(score: Any) -> bool:
    try:
        return score.is_finite() and SCORE_RANGE[0] <= score <= SCORE_RANGE[1]
    except (AttributeError, InvalidOperation):
        return False


def is_web_link(value: str) -> bool:
    """An absolute http(s) URL short enough to store: the only links we keep from a
    partner, since they end up in e-mails and admin pages (never `javascript:`)."""
    text = str(value).strip()
    return (
        len(text) <= LINK_MAX_LENGTH
        and text.lower().startswith(("https://", "http://"))
        and len(text) > len("https://")
        and not any(ch.isspace() or ord(ch) < 32 for ch in text)
    )
