"""The per-partner, per-hour call counts (PartnerCallHour) the dashboard's charts read.

The recorder adds each batch of request logs to them in the same transaction as it
writes the logs (monitoring/recorder.py), so they agree with counting the logs: one
`INSERT ... ON CONFLICT DO UPDATE` adding to each (partner, hour) the batch touches, which
PostgreSQL and SQLite both run and which two writers in parallel add to correctly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection

from monitoring.metrics import LATENCY_BUCKETS
from monitoring.models import CallOutcome, PartnerCallHour, PartnerRequestLog

LATENCY_BOUNDS_MS = tuple(int(seconds * 1000) for seconds in LATENCY_BUCKETS)
COUNTS = ("calls", "errors", "refused", *(f"le_{bound}" for bound in LATENCY_BOUNDS_MS))


def hourly_counts(logs: Iterable[PartnerRequestLog]) -> dict[tuple[int, object], list[int]]:
    """(partner id, hour) -> the COUNTS of these saved logs (created_at set)."""
    counts: dict[tuple[int, object], list[int]] = defaultdict(lambda: [0] * len(COUNTS))
    for log in logs:
        row = counts[(log.partner_id, log.created_at.replace(minute=0, second=0, microsecond=0))]
        if log.outcome == CallOutcome.REFUSED:
            row[2] += 1
            continue
        row[0] += 1
        if log.outcome != CallOutcome.SUCCESS:
            row[1] += 1
        for i, bound in enumerate(LATENCY_BOUNDS_MS, start=3):
            if log.duration_ms <= bound:
                row[i] += 1
    return counts


def add_to_rollups(logs: Iterable[PartnerRequestLog]) -> None:
    """Add saved request logs to their hours' counts (call inside the logs' transaction)."""
    counts = hourly_counts(logs)
    if not counts:
        return
    table = connection.ops.quote_name(PartnerCallHour._meta.db_table)
    columns = ", ".join(COUNTS)
    placeholders = ", ".join(["%s"] * (2 + len(COUNTS)))
    sums = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTS)
    field = PartnerCallHour._meta.get_field("hour")
    params = []
    for (partner_id, hour), row in counts.items():
        params.extend([partner_id, field.get_db_prep_value(hour, connection), *row])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (partner_id, hour, {columns}) VALUES "
            + ", ".join([f"({placeholders})"] * len(counts))
            + f" ON CONFLICT (partner_id, hour) DO UPDATE SET {sums}",
            params,
        )
