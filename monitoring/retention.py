"""Delete request logs and webhook deliveries older than the retention period, and the
dashboard's hourly call counts older than their own (longer) one.

In batches of primary keys, each in its own short transaction: one DELETE of a month of
rows would hold locks (and, on SQLite, the only write lock) for as long as it takes.
Webhook events are not pruned here: they are the record of what a partner told us.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from monitoring.models import PartnerCallHour, PartnerRequestLog

logger = logging.getLogger(__name__)


def _prune(model: type[models.Model], field: str, cutoff, batch_size: int) -> int:
    deleted = 0
    old = model.objects.filter(**{f"{field}__lt": cutoff}).order_by()
    while True:
        ids = list(old.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        with transaction.atomic():
            model.objects.filter(pk__in=ids).delete()
        deleted += len(ids)


def prune_old_records(*, days: int | None = None, batch_size: int | None = None) -> dict[str, int]:
    """Delete what is older than `days` (default MONITORING_RETENTION_DAYS), and hourly
    call counts older than MONITORING_ROLLUP_RETENTION_DAYS (never younger than `days`);
    return how many rows of each kind went."""
    from webhooks.models import WebhookDelivery

    days = settings.MONITORING_RETENTION_DAYS if days is None else days
    batch_size = batch_size or settings.MONITORING_PRUNE_BATCH_SIZE
    if days < 1:
        raise ValueError("The retention period is at least one day.")
    now = timezone.now()
    cutoff = now - timedelta(days=days)
    rollup_cutoff = now - timedelta(days=max(days, settings.MONITORING_ROLLUP_RETENTION_DAYS))
    result = {
        "request_logs": _prune(PartnerRequestLog, "created_at", cutoff, batch_size),
        "webhook_deliveries": _prune(WebhookDelivery, "received_at", cutoff, batch_size),
        "call_hours": _prune(PartnerCallHour, "hour", rollup_cutoff, batch_size),
    }
    logger.info("Pruned records older than %s: %s", cutoff.isoformat(), result)
    return result
