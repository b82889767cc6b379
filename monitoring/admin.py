from django.contrib import admin

from monitoring.models import Alert, PartnerRequestLog


class RecordAdmin(admin.ModelAdmin):
    """For rows that are records of what happened: viewable, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(PartnerRequestLog)
class PartnerRequestLogAdmin(RecordAdmin):
    list_display = [
        "created_at",
        "partner",
        "operation",
        "method",
        "status_code",
        "outcome",
        "duration_ms",
        "attempt",
        "error_class",
        "correlation_id",
    ]
    list_filter = ["partner", "outcome", "created_at"]
    list_select_related = ["partner"]
    search_fields = ["=correlation_id", "=enrollment__id"]
    date_hierarchy = None
    # A full COUNT(*) over millions of rows on every page view is what made other
    # request-log admins unusable; show "N results" for the filtered page only.
    show_full_result_count = False
    raw_id_fields = ["enrollment"]


@admin.register(Alert)
class AlertAdmin(RecordAdmin):
    list_display = [
        "rule",
        "partner",
        "severity",
        "opened_at",
        "last_seen_at",
        "resolved_at",
        "message",
    ]
    list_filter = ["rule", "partner", "severity", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["partner"]
    search_fields = ["rule", "message"]
