import json
from functools import cached_property

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from config.admin import RecordAdmin, date_range_filter, truncated
from monitoring.admin_filters import (
    AlertStateFilter,
    OperationFilter,
    RecentFilter,
    RuleFilter,
    StatusClassFilter,
)
from monitoring.links import alert_links
from monitoring.models import Alert, PartnerCallHour, PartnerRequestLog

PRE = '<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto; margin: 0">{}</pre>'


def pretty(value) -> str:
    """JSON indented for reading; anything else (a cut-off or non-JSON body) as it is."""
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    if not value:
        return ""
    try:
        return json.dumps(json.loads(value), indent=2, ensure_ascii=False)
    except ValueError:
        return value


class CappedCountPaginator(Paginator):
    """Counts at most `cap` + 1 rows. A full COUNT(*) over millions of rows on every page
    view is what made other request-log admins unusable; past the cap, narrow the list
    with the filters instead of paging."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


@admin.register(PartnerRequestLog)
class PartnerRequestLogAdmin(RecordAdmin):
    list_display = [
        "created_at",
        "partner",
        "operation",
        "status_code",
        "outcome",
        "duration_ms",
        "attempt",
        truncated("error_class", 24, description="error", sortable=False),
        truncated("error_message", 48, description="error message", sortable=False),
        "correlation",
    ]
    list_filter = [RecentFilter, "partner", OperationFilter, StatusClassFilter]
    list_select_related = ["partner"]
    search_fields = ["=correlation_id", "=enrollment__id"]
    search_help_text = "A correlation id (every attempt of one piece of work) or an enrollment id."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("created_at", "partner", "operation"),
                    ("method", "url"),
                    ("status_code", "outcome", "duration_ms", "attempt"),
                    ("error_class", "error_message"),
                    ("correlation", "enrollment_link"),
                ]
            },
        ),
        ("Request", {"fields": ["request_headers_pretty", "request_body_pretty"]}),
        ("Response", {"fields": ["response_headers_pretty", "response_body_pretty"]}),
    ]
    readonly_fields = [
        "correlation",
        "enrollment_link",
        "request_headers_pretty",
        "request_body_pretty",
        "response_headers_pretty",
        "response_body_pretty",
    ]

    def get_search_results(self, request, queryset, search_term):
        # Exact matches on indexed columns. The admin's "=" prefix means iexact, which
        # is LIKE on SQLite and UPPER() on PostgreSQL: neither uses an index, and at a
        # million rows each search scanned the table.
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(correlation_id=term)
        if term.isdigit():
            match |= Q(enrollment_id=int(term))
        return queryset.filter(match), False

    @admin.display(description="correlation id", ordering="correlation_id")
    def correlation(self, obj: PartnerRequestLog) -> str:
        if not obj.correlation_id:
            return "-"
        url = reverse("admin:monitoring_partnerrequestlog_changelist")
        return format_html(
            '<a href="{}?q={}" title="Every attempt of this piece of work">{}</a>',
            url,
            obj.correlation_id,
            obj.correlation_id,
        )

    @admin.display(description="enrollment")
    def enrollment_link(self, obj: PartnerRequestLog) -> str:
        # No database constraint: the enrollment may be gone, so link by id, never load it.
        if not obj.enrollment_id:
            return "-"
        url = reverse("admin:enrollments_enrollment_change", args=[obj.enrollment_id])
        return format_html('<a href="{}">#{}</a>', url, obj.enrollment_id)

    @admin.display(description="request headers")
    def request_headers_pretty(self, obj: PartnerRequestLog) -> str:
        return format_html(PRE, pretty(obj.request_headers))

    @admin.display(description="request body (redacted)")
    def request_body_pretty(self, obj: PartnerRequestLog) -> str:
        return format_html(PRE, pretty(obj.request_body))

    @admin.display(description="response headers")
    def response_headers_pretty(self, obj: PartnerRequestLog) -> str:
        return format_html(PRE, pretty(obj.response_headers))

    @admin.display(description="response body (redacted)")
    def response_body_pretty(self, obj: PartnerRequestLog) -> str:
        return format_html(PRE, pretty(obj.response_body))


@admin.register(Alert)
class AlertAdmin(RecordAdmin):
    list_display = [
        "rule",
        "partner",
        "severity",
        "opened_at",
        "last_seen_at",
        "resolved_at",
        truncated("message", 60),
        "look_at",
        "notified",
    ]
    list_filter = [
        AlertStateFilter,
        RuleFilter,
        "partner",
        "severity",
        date_range_filter("opened_at"),
    ]
    list_select_related = ["partner"]
    search_fields = ["rule", "message"]
    show_facets = admin.ShowFacets.NEVER
    fields = [
        ("rule", "partner", "severity"),
        "message",
        ("opened_at", "last_seen_at", "resolved_at"),
        "where_to_look",
        "details_pretty",
        ("last_notified_at", "notifications_pretty"),
    ]
    readonly_fields = ["opened_at", "where_to_look", "details_pretty", "notifications_pretty"]

    @admin.display(description="look at")
    def look_at(self, obj: Alert) -> str:
        # No query per row: the enrollments it touches are on the alert's own page.
        return (
            format_html_join(
                " · ",
                '<a href="{}">{}</a>',
                ((link.url, link.label) for link in alert_links(obj, enrollments=False)),
            )
            or "-"
        )

    @admin.display(description="what it affects")
    def where_to_look(self, obj: Alert) -> str:
        links = alert_links(obj)
        if not links:
            return "-"
        return format_html_join(
            " · ", '<a href="{}">{}</a>', ((link.url, link.label) for link in links)
        )

    @admin.display(description="notified")
    def notified(self, obj: Alert) -> str:
        return ", ".join(sorted(obj.notifications)) or "-"

    @admin.display(description="details")
    def details_pretty(self, obj: Alert) -> str:
        return format_html(PRE, pretty(obj.details))

    @admin.display(description="notifications")
    def notifications_pretty(self, obj: Alert) -> str:
        return format_html(PRE, pretty(obj.notifications))


@admin.register(PartnerCallHour)
class PartnerCallHourAdmin(RecordAdmin):
    """The hourly counts the dashboard's charts read (kept by the recorder)."""

    list_display = ["hour", "partner", "calls", "errors", "refused"]
    list_filter = ["partner"]
    list_select_related = ["partner"]
    ordering = ["-hour", "partner"]
    show_facets = admin.ShowFacets.NEVER
