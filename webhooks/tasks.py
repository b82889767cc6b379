"""Webhook jobs. Thin: the services in processing.py and replay.py do the work, and all
are safe to run twice."""

from celery import shared_task

from webhooks.processing import events_process
from webhooks.replay import events_redrive


@shared_task(acks_late=True, ignore_result=True)
def process_webhook_events(event_ids: list[int]) -> dict[int, str]:
    """Events from webhooks.publishing (one, or a batch of up to publishing.BATCH), applied
    a few dozen to a transaction."""
    return events_process(event_ids=event_ids)


@shared_task(acks_late=True, ignore_result=True)
def reconcile_webhook_events() -> int:
    """Scheduled (CELERY_BEAT_SCHEDULE): re-drive events left received or deferred."""
    return events_redrive()
