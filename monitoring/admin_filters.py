"""Changelist filters that stay cheap on a table of millions of request logs.

Django's field filters list their choices with SELECT DISTINCT over the whole table; these
take their choices from code, or (operations) from an index skip-scan.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.db import connections, router
from django.utils import timezone

from monitoring.models import CallOutcome, PartnerRequestLog
from monitoring.rules import RULE_TITLES, SENT

FAILED = [outcome for outcome in SENT if outcome != CallOutcome.SUCCESS]


def distinct_operations() -> list[str]:
    """Every operation in the log, one index probe per distinct value: a recursive query
    asks for the smallest operation above the last one (SQLite and PostgreSQL alike),
    so the cost grows with the number of operations, not of rows."""
    connection = connections[router.db_for_read(PartnerRequestLog)]
    table = connection.ops.quote_name(PartnerRequestLog._meta.db_table)
    # The table name is ours and quoted; there are no parameters to inject.
    sql = f"""
        WITH RECURSIVE ops(operation) AS (
            SELECT MIN(operation) FROM {table}
            UNION ALL
            SELECT (SELECT MIN(operation) FROM {table} WHERE operation > ops.operation)
            FROM ops WHERE ops.operation IS NOT NULL
        )
        SELECT operation FROM ops WHERE operation IS NOT NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


class OperationFilter(admin.SimpleListFilter):
    title = "operation"
    parameter_name = "operation"

    def lookups(self, request, model_admin):
        return [(op, op) for op in distinct_operations()]

    def queryset(self, request, queryset):
        return queryset.filter(operation=self.value()) if self.value() else queryset


class StatusClassFilter(admin.SimpleListFilter):
    """By HTTP status class. 4xx and 5xx are their outcomes exactly, which have an index;
    2xx and 3xx split the successes."""

    title = "status"
    parameter_name = "status"
    CLASSES = {
        # What the dashboard counts as failed: sent and not answered with a success.
        "failed": ("failed (4xx, 5xx, no answer)", {"outcome__in": FAILED}),
        "2xx": ("2xx success", {"outcome": CallOutcome.SUCCESS, "status_code__lt": 300}),
        "3xx": ("3xx redirect", {"outcome": CallOutcome.SUCCESS, "status_code__gte": 300}),
        "4xx": ("4xx client error", {"outcome": CallOutcome.CLIENT_ERROR}),
        "5xx": ("5xx server error", {"outcome": CallOutcome.SERVER_ERROR}),
        "none": ("no answer (timeout, connection)", {"outcome": CallOutcome.TRANSPORT_ERROR}),
        "refused": ("not sent (breaker open)", {"outcome": CallOutcome.REFUSED}),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.CLASSES.items()]

    def queryset(self, request, queryset):
        if self.value() in self.CLASSES:
            return queryset.filter(**self.CLASSES[self.value()][1])
        return queryset


class RecentFilter(admin.SimpleListFilter):
    """How far back: the questions operators ask are "in the last hour", not "in May"."""

    title = "time"
    parameter_name = "since"
    field = "created_at"
    WINDOWS = {
        "15m": ("last 15 minutes", timedelta(minutes=15)),
        "1h": ("last hour", timedelta(hours=1)),
        "24h": ("last 24 hours", timedelta(hours=24)),
        "7d": ("last 7 days", timedelta(days=7)),
        "30d": ("last 30 days", timedelta(days=30)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.WINDOWS.items()]

    def queryset(self, request, queryset):
        if self.value() in self.WINDOWS:
            since = timezone.now() - self.WINDOWS[self.value()][1]
            return queryset.filter(**{f"{self.field}__gte": since})
        return queryset


class AlertStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class RuleFilter(admin.SimpleListFilter):
    title = "rule"
    parameter_name = "rule"

    def lookups(self, request, model_admin):
        return list(RULE_TITLES.items())

    def queryset(self, request, queryset):
        return queryset.filter(rule=self.value()) if self.value() else queryset
