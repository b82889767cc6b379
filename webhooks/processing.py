"""Processing one stored WebhookEvent: the partner's adapter turns it into canonical events
and `enrollment_apply_event` applies them.

The event row is locked while it is processed and its new status is saved in the same
transaction as the work, so a task delivered twice (late acks, the reconcile sweep, a
replay racing a worker) applies it once. The work runs in a savepoint: when it raises,
the work is rolled back and the failure (error and traceback) is what commits.
Workers take events in batches (webhooks.publishing), one transaction per batch.
"""

from __future__ import annotations

import logging
import random
import traceback
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from enrollments.models import Enrollment
from enrollments.services import EnrollmentNotFound, enrollment_apply_event
from partners.base import PartnerAdapter
from partners.events import EventType
from partners.registry import get_adapter
from webhooks.models import EventStatus, WebhookEvent
from webhooks.storage import events_save_outcomes

logger = logging.getLogger(__name__)

# An event naming an enrollment we do not know yet is retried after 1, 2, 4 ... minutes,
# at most an hour apart, until WEBHOOK_DEFER_HOURS after it arrived.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
ERROR_CHARS = 2000
# Events applied per transaction: a commit per batch, not per event, while the
# enrollment rows a batch locks are not held for long.
EVENTS_PER_TRANSACTION = 20

FIELDS_SAVED = [
    "status",
    "attempts",
    "processed_at",
    "next_attempt_at",
    "last_error",
    "traceback",
    "enrollment",
]


def event_process(*, event_id: int, force: bool = False, now: datetime | None = None) -> str:
    """Process the event if it is waiting (received, or deferred and due) and return its
    status afterwards ("" if it no longer exists). `force` (staff replay) processes it
    whatever its status; applying an event again changes nothing, since
    enrollment_apply_event is idempotent."""
    return events_process(event_ids=[event_id], force=force, now=now).get(event_id, "")


def events_process(
    *, event_ids: Sequence[int], force: bool = False, now: datetime | None = None
) -> dict[int, str]:
    """Process events, EVENTS_PER_TRANSACTION to a transaction, and return each one's
    status afterwards.

    One transaction for a batch is what makes a worker fast: the commit (a disk flush)
    and the event row locking and updating are paid once per batch, not per event. Each
    event's work and its new status commit together.

    A batch is first applied as it comes, without a savepoint per event. If any event
    raises (an enrollment not known yet, a handler error, a lock conflict), the whole
    batch is rolled back, nothing of it having taken effect, and applied again with each
    event in its own savepoint, so that one event's failure rolls back only its own
    work and is recorded on it."""
    now = now or timezone.now()
    if len(event_ids) > EVENTS_PER_TRANSACTION:
        statuses: dict[int, str] = {}
        for start in range(0, len(event_ids), EVENTS_PER_TRANSACTION):
            chunk = event_ids[start : start + EVENTS_PER_TRANSACTION]
            statuses.update(events_process(event_ids=chunk, force=force, now=now))
        return statuses
    if len(event_ids) > 1:
        try:
            return _process_batch(event_ids, force=force, now=now, isolated=False)
        except _BatchAbandoned as exc:
            logger.info("Webhook batch rolled back at event %s; applying it event by event", exc)
    return _process_batch(event_ids, force=force, now=now, isolated=True)


class _BatchAbandoned(Exception):
    """An event of a batch applied without savepoints raised: roll the batch back."""


def _process_batch(
    event_ids: Sequence[int], *, force: bool, now: datetime, isolated: bool
) -> dict[int, str]:
    statuses: dict[int, str] = {}
    retry_alone: list[int] = []
    with transaction.atomic():
        # Locked in id order, so two batches sharing events cannot deadlock on them.
        events = (
            WebhookEvent.objects.select_for_update(of=("self",))
            .select_related("partner")
            .filter(pk__in=event_ids)
            .order_by("pk")
        )
        done: list[WebhookEvent] = []
        adapters = _Adapters()
        for event in events:
            if force or is_due(event, now):
                if not isolated:
                    _process_unguarded(event, now, adapters)
                    done.append(event)
                elif _process(event, now, adapters):
                    done.append(event)
                else:
                    retry_alone.append(event.pk)
            statuses[event.pk] = event.status
        events_save_outcomes(done, FIELDS_SAVED)
    if len(event_ids) > 1:
        for event_id in retry_alone:
            statuses[event_id] = event_process(event_id=event_id, force=force, now=now)
    return statuses


class _Adapters(dict):
    """The adapter of each partner in a batch, looked up once (reading its configuration
    from the environment costs more than parsing the event)."""

    def __missing__(self, slug: str) -> PartnerAdapter:
        self[slug] = adapter = get_adapter(slug)
        return adapter


def _process_unguarded(event: WebhookEvent, now: datetime, adapters: _Adapters) -> None:
    """Apply one locked event with no savepoint of its own; any error abandons the batch."""
    try:
        status, enrollment, note = _apply(event, adapters[event.partner.slug])
    except Exception as exc:
        raise _BatchAbandoned(event.pk) from exc
    event.attempts += 1
    _mark_applied(event, status, enrollment, now, note)


def _process(event: WebhookEvent, now: datetime, adapters: _Adapters) -> bool:
    """Apply one locked event in a savepoint and set its new status; False when it was
    not attempted after all (a lock conflict with another worker: retried on its own)."""
    event.attempts += 1
    try:
        with transaction.atomic():
            status, enrollment, note = _apply(event, adapters[event.partner.slug])
    except EnrollmentNotFound as exc:
        _defer_or_fail(event, exc, now)
    except OperationalError:
        # A deadlock with another batch (enrollment rows are locked until commit) or a
        # lock timeout: nothing wrong with the event. Its savepoint is rolled back,
        # releasing its locks; it is tried again alone, or by the reconcile job.
        event.attempts -= 1
        logger.warning("Webhook event %s hit a lock conflict; retrying it", event.pk)
        return False
    except Exception as exc:
        logger.exception("Webhook event %s (%s) failed", event.pk, event.partner.slug)
        event.status = EventStatus.FAILED
        event.last_error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        event.traceback = traceback.format_exc()
        event.next_attempt_at = None
    else:
        _mark_applied(event, status, enrollment, now, note)
    return True


def _mark_applied(
    event: WebhookEvent, status: str, enrollment: Enrollment | None, now: datetime, note: str
) -> None:
    event.status = status
    event.processed_at = now
    event.next_attempt_at = None
    # Why it was ignored, or what of it was left out: staff see it on the event.
    event.last_error = note[:ERROR_CHARS]
    event.traceback = ""
    if enrollment is not None:
        event.enrollment = enrollment


def is_due(event: WebhookEvent, now: datetime) -> bool:
    """Waiting for a worker: received, or deferred with its next attempt due. Failed
    events wait for staff (replay); processed and ignored ones are done."""
    if event.status == EventStatus.RECEIVED:
        return True
    if event.status == EventStatus.DEFERRED:
        return event.next_attempt_at is None or event.next_attempt_at <= now
    return False


def _apply(event: WebhookEvent, adapter: PartnerAdapter) -> tuple[str, Enrollment | None, str]:
    """The event's new status, its enrollment, and a note for staff: why it was ignored,
    or which of the partner's values were left out."""
    canonical = adapter.parse_webhook(payload=event.payload, webhook_id=event.webhook_id)
    handled = [e for e in canonical if e.type != EventType.UNKNOWN]
    if not handled:
        return EventStatus.IGNORED, None, ""
    enrollment, ignored, problems = None, [], []
    for partner_event in handled:
        result = enrollment_apply_event(partner_event)
        enrollment = result.enrollment
        if result.ignored:
            ignored.append(result.ignored)
        problems.extend(result.problems)
    if len(ignored) == len(handled):
        return EventStatus.IGNORED, enrollment, "ignored: " + "; ".join(ignored)
    note = "invalid partner answer, left out: " + "; ".join(problems) if problems else ""
    return EventStatus.PROCESSED, enrollment, note


def _defer_or_fail(event: WebhookEvent, exc: EnrollmentNotFound, now: datetime) -> None:
    """The enrollment may simply not be known yet (the partner's webhook can beat our own
    enrolment call back): wait with backoff, and give up after WEBHOOK_DEFER_HOURS."""
    give_up_at = event.received_at + timedelta(hours=settings.WEBHOOK_DEFER_HOURS)
    event.traceback = ""
    if now >= give_up_at:
        event.status = EventStatus.FAILED
        event.next_attempt_at = None
        event.last_error = (
            f"{exc} (still unknown {settings.WEBHOOK_DEFER_HOURS} h after the event "
            f"arrived, {event.attempts} attempts)"
        )[:ERROR_CHARS]
        # The monitoring rule webhook_events_stuck opens the alert for failed events.
        logger.error("Webhook event %s failed: %s", event.pk, event.last_error)
        return
    event.status = EventStatus.DEFERRED
    event.last_error = str(exc)[:ERROR_CHARS]
    event.next_attempt_at = min(now + retry_delay(event.attempts), give_up_at)


def retry_delay(attempts: int) -> timedelta:
    """Doubling from FIRST_RETRY, capped at LONGEST_WAIT, with up to 10 % jitter so events
    deferred together do not come back together."""
    base = min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 20), LONGEST_WAIT)
    return base * (1 + random.uniform(0, 0.1))
