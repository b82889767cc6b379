"""The per-partner, per-hour call counts (PartnerCallHour) the dashboard's charts read.

The recorder adds each batch of request logs to them in the same transaction as it
writes the logs (monitoring/recorder.py), so they agree with counting the logs: one
`INSERT ... ON CONFLICT DO UPDATE` adding to each (partner, hour) the batch touches, which
PostgreSQL and SQLite both run and which two writers in parallel add to correctly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import connection

from monitoring.metrics import LATENCY_BUCKETS
from monitoring.models import CallOutcome, PartnerCallHour

# A logged call as the counts need it: (partner id, created_at, outcome, duration_ms).
Call = tuple[int, datetime, str, int]
LATENCY_BOUNDS_MS = tuple(int(seconds * 1000) for seconds in LATENCY_BUCKETS)
COUNTS = ("calls", "errors", "refused", *(f"le_{bound}" for bound in LATENCY_BOUNDS_MS))


def hourly_counts(calls: Iterable[Call]) -> dict[tuple[int, datetime], list[int]]:
    """(partner id, hour) -> the COUNTS of these calls."""
    counts: dict[tuple[int, datetime], list[int]] = defaultdict(lambda: [0] * len(COUNTS))
    for partner_id, created_at, outcome, duration_ms in calls:
        row = counts[(partner_id, created_at.replace(minute=0, second=0, microsecond=0))]
        if outcome == CallOutcome.REFUSED:
            row[2] += 1
            continue
        row[0] += 1
        if outcome != CallOutcome.SUCCESS:
            row[1] += 1
        for i, bound in enumerate(LATENCY_BOUNDS_MS, start=3):
            if duration_ms <= bound:
                row[i] += 1
    return counts


def add_to_rollups(calls: Iterable[Call]) -> None:
    """Add logged calls to their hours' counts (call inside the logs' transaction)."""
    counts = hourly_counts(calls)
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
