"""Periodic monitoring jobs (scheduled in CELERY_BEAT_SCHEDULE). Thin: services do the work.

Both are safe to run twice: evaluation is idempotent per window and takes a lock,
pruning deletes only what is still there.
"""

from celery import shared_task

from monitoring.alerts import alerts_evaluate
from monitoring.retention import prune_old_records


@shared_task(acks_late=True, ignore_result=True)
def evaluate_alerts() -> str:
    return str(alerts_evaluate())


@shared_task(acks_late=True, ignore_result=True)
def prune_logs() -> dict[str, int]:
    return prune_old_records()
