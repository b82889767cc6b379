"""What the monitoring dashboard shows, read with a fixed number of aggregate queries.

Nothing here loops over rows in Python: the charts sum the hourly counts the recorder
keeps as it writes request logs (PartnerCallHour, monitoring/rollups.py) into time
buckets in SQL (Unix-epoch arithmetic that SQLite and PostgreSQL both run natively),
latency histogram buckets included, from which percentiles are estimated the way
Prometheus estimates them. The partner cards read the logs of the alert window only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import NotSupportedError
from django.db.models import Count, Func, IntegerField, Q, Sum
from django.utils import timezone

from enrollments.models import Enrollment, EnrollmentStatus
from monitoring.charts import AMBER, BLUE, GREEN, GREY, PURPLE, RED, Series, bar_chart, line_chart
from monitoring.links import partner_calls_url
from monitoring.models import PartnerCallHour
from monitoring.partner_activity import quantile_ms
from monitoring.rollups import COUNTS
from monitoring.templatetags.monitoring_format import duration
from partners.health import HealthStatus, PartnerHealth, partners_health
from partners.models import Partner


class EpochBucket(Func):
    """Start (Unix seconds) of the `seconds`-wide time bucket a timestamp falls in."""

    output_field = IntegerField()

    def __init__(self, expression, seconds: int):
        super().__init__(expression)
        self.seconds = int(seconds)

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError("Time buckets are written for SQLite and PostgreSQL only.")

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        s = self.seconds
        # '%%' because Django formats the query with its parameters afterwards.
        return f"((CAST(strftime('%%s', {sql}) AS INTEGER) / {s}) * {s})", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        s = self.seconds
        return f"(FLOOR(EXTRACT(EPOCH FROM {sql}) / {s}) * {s})::bigint", params


@dataclass
class Point:
    start: datetime
    calls: int = 0
    errors: int = 0
    refused: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None

    @property
    def successes(self) -> int:
        return self.calls - self.errors

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.calls if self.calls else None


def _bucket_rows(*, since: int, seconds: int, partner_id) -> dict[int, dict]:
    """The hourly counts (PartnerCallHour, kept as logs are written) summed into
    `seconds`-wide buckets from `since`: a few rows per partner and hour, never the logs."""
    hours = PartnerCallHour.objects.filter(hour__gte=datetime.fromtimestamp(since, tz=UTC))
    if partner_id:
        hours = hours.filter(partner_id=partner_id)
    rows = (
        hours.annotate(bucket=EpochBucket("hour", seconds))
        .values("bucket")
        .annotate(**{name: Sum(name) for name in COUNTS})
        .order_by("bucket")
    )
    return {row.pop("bucket"): row for row in rows}


def call_series(*, end: datetime, span: timedelta, step: timedelta, partner_id=None) -> list[Point]:
    """One Point per `step` (whole hours) over `span` up to `end`, empty buckets included:
    one query over the hourly counts."""
    seconds = int(step.total_seconds())
    if seconds % 3600:
        raise ValueError("The series are read from hourly counts: the step is whole hours.")
    end_ts = int(end.timestamp())
    first = ((end_ts - int(span.total_seconds())) // seconds + 1) * seconds
    rows = _bucket_rows(since=first, seconds=seconds, partner_id=partner_id)
    points = []
    for start in range(first, end_ts + 1, seconds):
        row = rows.get(start)
        point = Point(start=datetime.fromtimestamp(start, tz=timezone.get_current_timezone()))
        if row:
            point.calls, point.errors, point.refused = row["calls"], row["errors"], row["refused"]
            point.p50_ms, point.p95_ms = quantile_ms(row, 0.5), quantile_ms(row, 0.95)
        points.append(point)
    return points


def call_charts(points: list[Point], *, label_format: str) -> list[tuple[str, str]]:
    """(caption, SVG) of the volume, error rate and latency charts over a series."""
    labels = [p.start.strftime(label_format) for p in points]
    volume = bar_chart(
        "Calls",
        labels,
        [
            Series("succeeded", GREEN, [p.successes for p in points]),
            Series("failed", RED, [p.errors for p in points]),
            Series("refused (breaker)", GREY, [p.refused for p in points]),
        ],
        fmt=lambda v: f"{v:,.0f}",
    )
    errors = line_chart(
        "Error rate",
        labels,
        [Series("error rate", AMBER, [p.error_rate for p in points])],
        fmt=lambda v: f"{v:.0%}",
        y_max=1.0,
        threshold=settings.ALERT_ERROR_RATE,
    )
    latency = line_chart(
        "Latency",
        labels,
        [
            Series("p50", BLUE, [p.p50_ms for p in points]),
            Series("p95", PURPLE, [p.p95_ms for p in points]),
        ],
        fmt=duration,
        threshold=settings.ALERT_LATENCY_MS,
    )
    return [
        ("Calls", volume),
        ("Error rate (dashed: alert threshold)", errors),
        ("Latency, p50 and p95", latency),
    ]


# A card's colour for each health status (partners.health); a partner in good health
# with no calls in the window (roster and manual partners mostly) is grey: idle.
CARD_COLOURS = {HealthStatus.DOWN: "red", HealthStatus.DEGRADED: "amber", HealthStatus.OK: "green"}


@dataclass(frozen=True)
class PartnerCard(PartnerHealth):
    """A partner's health (partners.health: the one rule) as its card shows it."""

    @property
    def health(self) -> str:
        """The card's colour: red (down), amber (degraded), green (ok, calls succeed) or
        idle (ok without calls in the window)."""
        if self.status == HealthStatus.OK and not self.calls:
            return "idle"
        return CARD_COLOURS[self.status]

    @property
    def failed_calls_url(self) -> str:
        """The request-log list of this partner's failed calls in the card's hour."""
        return partner_calls_url(self.partner.pk, status="failed", since="1h")

    @property
    def refused_calls_url(self) -> str:
        return partner_calls_url(self.partner.pk, status="refused", since="1h")


def partner_cards(*, now: datetime) -> list[PartnerCard]:
    """One card per active partner, by name: the health selector's three queries,
    whatever the number of rows."""
    partners = Partner.objects.filter(active=True).order_by("name")
    return [
        PartnerCard(**{f.name: getattr(health, f.name) for f in fields(health)})
        for health in partners_health(partners, now=now)
    ]


S = EnrollmentStatus
FUNNEL = [
    ("Requested", Q()),
    ("Submitted", Q(status__in=[S.SUBMITTED, S.ACTIVE, S.COMPLETED])),
    # Started means the partner reported activity (started_at is set by the first event
    # with progress, a result or completion), not that it answered a sync at 0 %.
    ("Started", Q(status=S.COMPLETED) | Q(status=S.ACTIVE, started_at__isnull=False)),
    ("Completed", Q(status=S.COMPLETED)),
]
ASIDE = {"failed": Q(status=S.FAILED), "cancelled": Q(status=S.CANCELLED)}


def enrollment_funnel() -> dict:
    """Enrollments that reached each stage (every later stage counts as having passed
    it), with failed and cancelled aside. One query."""
    counts = Enrollment.objects.aggregate(
        **{f"stage_{n}": Count("pk", filter=q) for n, (_, q) in enumerate(FUNNEL)},
        **{name: Count("pk", filter=q) for name, q in ASIDE.items()},
    )
    total = counts["stage_0"]
    stages = [
        {"label": label, "count": counts[f"stage_{n}"], "share": counts[f"stage_{n}"] / total}
        if total
        else {"label": label, "count": 0, "share": 0}
        for n, (label, _) in enumerate(FUNNEL)
    ]
    return {"stages": stages, "total": total, **{name: counts[name] for name in ASIDE}}


REVENUE_CACHE_SECONDS = 300


def revenue_by_partner() -> dict:
    """Non-cancelled enrollments times the course's retail price, and the margin over its
    wholesale cost, per partner. One grouped join over every enrollment: kept for
    REVENUE_CACHE_SECONDS, since money moves with enrolments, not by the second."""
    cached = cache.get("monitoring:revenue:v1")
    if cached is not None:
        return cached
    rows = (
        Enrollment.objects.exclude(status=EnrollmentStatus.CANCELLED)
        .values("partner__name")
        .annotate(
            enrollments=Count("pk"),
            revenue=Sum("course__retail_price"),
            cost=Sum("course__wholesale_cost"),
        )
        .order_by("-revenue", "partner__name")
    )
    result = {
        "as_of": timezone.now(),
        "rows": [
            {
                "partner": row["partner__name"],
                "enrollments": row["enrollments"],
                "revenue": row["revenue"] or Decimal(0),
                "margin": (row["revenue"] or Decimal(0)) - (row["cost"] or Decimal(0)),
            }
            for row in rows
        ],
    }
    cache.set("monitoring:revenue:v1", result, REVENUE_CACHE_SECONDS)
    return result
