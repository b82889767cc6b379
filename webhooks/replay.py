"""Getting stored events processed again: the reconcile sweep (events a lost broker message
or a deferral left waiting) and staff replay (admin action, `manage.py replay_webhooks`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from webhooks.models import EventStatus, WebhookEvent
from webhooks.processing import event_process
from webhooks.publishing import publish

# An event is enqueued when it is committed; one still "received" this long after is
# taken to have lost its broker message.
RECEIVED_GRACE = timedelta(minutes=5)
# Events enqueued per sweep (one a minute by default): after a broker outage a backlog of
# received events drains at up to this many a minute, and workers apply them in batches.
RECONCILE_BATCH = 10_000


def events_due(*, now: datetime | None = None) -> QuerySet[WebhookEvent]:
    """Events a worker should pick up: received and not picked up within RECEIVED_GRACE,
    or deferred with their next attempt due."""
    now = now or timezone.now()
    return WebhookEvent.objects.filter(
        Q(status=EventStatus.RECEIVED, received_at__lte=now - RECEIVED_GRACE)
        | Q(status=EventStatus.DEFERRED, next_attempt_at__lte=now)
        | Q(status=EventStatus.DEFERRED, next_attempt_at__isnull=True)
    )


def events_redrive(*, now: datetime | None = None, limit: int = RECONCILE_BATCH) -> int:
    """Enqueue processing for up to `limit` due events, oldest first, in messages of
    publishing.BATCH ids (as the receiver sends them); return how many. Enqueuing one
    twice is harmless: processing locks the event and re-checks it."""
    ids = list(events_due(now=now).order_by("received_at").values_list("pk", flat=True)[:limit])
    publish(ids)
    return len(ids)


def events_reprocess(*, event_ids: Iterable[int]) -> Counter[str]:
    """Process these events now, whatever their status (staff asked), one transaction
    each; return how many ended in each status."""
    outcome: Counter[str] = Counter()
    for event_id in event_ids:
        outcome[event_process(event_id=event_id, force=True)] += 1
    outcome.pop("", None)  # deleted meanwhile
    return outcome


def events_matching(
    *,
    partners: Sequence[str] = (),
    statuses: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[WebhookEvent]:
    """The events a replay selects, oldest first (so they are applied in arrival order)."""
    events = WebhookEvent.objects.all()
    if partners:
        events = events.filter(partner__slug__in=partners)
    if statuses:
        events = events.filter(status__in=statuses)
    if since is not None:
        events = events.filter(received_at__gte=since)
    if until is not None:
        events = events.filter(received_at__lt=until)
    return events.order_by("received_at", "pk")


def describe(outcome: Counter[str]) -> str:
    """`3 processed, 1 deferred` in EventStatus order."""
    parts = [f"{outcome[s]} {s}" for s in EventStatus.values if outcome.get(s)]
    return ", ".join(parts) or "nothing"
