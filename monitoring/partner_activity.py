"""What monitoring knows of each partner, for partners.health to judge its health.

`partner_activity` is the activity source monitoring registers at start
(`partners.health.set_activity_source`, in MonitoringConfig.ready()): the partners app
imports no other app, so monitoring hands it its records. Three queries whatever the
number of rows: the partners with their last success (one index lookup each), the
window's calls grouped by partner (read from the covering index, latency counted into the
Prometheus histogram's buckets in the same pass) and the open alerts (at most one per rule
and partner).

The call aggregates and the quantile estimate are shared with the dashboard's charts.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from monitoring.metrics import LATENCY_BUCKETS
from monitoring.models import Alert, CallOutcome, PartnerRequestLog
from monitoring.rules import SENT
from partners.health import OpenAlert, PartnerActivity
from partners.models import Partner

# Upper bounds (ms) of the latency histogram: the Prometheus metric's buckets.
LATENCY_BOUNDS_MS = tuple(int(seconds * 1000) for seconds in LATENCY_BUCKETS)
SUCCESS = Q(outcome=CallOutcome.SUCCESS)


def call_aggregates() -> dict:
    """Calls sent, failed and refused, and the cumulative latency bucket counts."""
    return {
        "calls": Count("pk", filter=Q(outcome__in=SENT)),
        "errors": Count("pk", filter=Q(outcome__in=SENT) & ~SUCCESS),
        "refused": Count("pk", filter=Q(outcome=CallOutcome.REFUSED)),
        **{
            f"le_{bound}": Count("pk", filter=Q(outcome__in=SENT, duration_ms__lte=bound))
            for bound in LATENCY_BOUNDS_MS
        },
    }


def quantile_ms(row: dict, q: float) -> float | None:
    """Estimate the q-quantile of call durations from cumulative bucket counts, linear
    within the bucket it falls in; None without calls; the top bound when beyond it."""
    total = row["calls"]
    if not total:
        return None
    rank = q * total
    lower_bound, lower_count = 0, 0
    for bound in LATENCY_BOUNDS_MS:
        count = row[f"le_{bound}"]
        if count >= rank:
            share = (rank - lower_count) / (count - lower_count) if count > lower_count else 1
            return lower_bound + (bound - lower_bound) * share
        lower_bound, lower_count = bound, count
    return float(LATENCY_BOUNDS_MS[-1])


def partner_activity(
    partners: QuerySet[Partner], since: datetime
) -> list[tuple[Partner, PartnerActivity]]:
    """Each partner of `partners` (in its order) with its calls since `since`, its last
    success and its open alerts (oldest first)."""
    newest_success = PartnerRequestLog.objects.filter(
        partner=OuterRef("pk"), outcome=CallOutcome.SUCCESS
    )
    rows = list(partners.annotate(last_success=Subquery(newest_success.values("created_at")[:1])))
    ids = [partner.pk for partner in rows]
    window = (
        PartnerRequestLog.objects.filter(created_at__gte=since, partner_id__in=ids)
        .values("partner_id")
        .annotate(**call_aggregates())
        .order_by()
    )
    stats = {row["partner_id"]: row for row in window}
    alerts: dict[int, list[OpenAlert]] = {}
    for alert in Alert.objects.filter(resolved_at=None, partner_id__in=ids).order_by(
        "opened_at", "pk"
    ):
        alerts.setdefault(alert.partner_id, []).append(
            OpenAlert(
                rule=alert.rule,
                severity=alert.severity,
                message=alert.message,
                opened_at=alert.opened_at,
            )
        )
    activity = []
    for partner in rows:
        row = stats.get(partner.pk) or {"calls": 0, "errors": 0, "refused": 0}
        activity.append(
            (
                partner,
                PartnerActivity(
                    calls=row["calls"],
                    errors=row["errors"],
                    refused=row["refused"],
                    p95_ms=quantile_ms(row, 0.95),
                    last_success=partner.last_success,
                    alerts=tuple(alerts.get(partner.pk, ())),
                ),
            )
        )
    return activity
