from django.contrib import admin, messages
from django.db import transaction

from partners.simulator import state
from partners.simulator.forms import SimulatedPartnerForm
from partners.simulator.models import SimAccount, SimEnrollment, SimFault, SimVoucher, SimWebhook
from partners.simulator.webhooks import send_events_on_commit


@admin.register(SimFault)
class SimFaultAdmin(admin.ModelAdmin):
    form = SimulatedPartnerForm
    list_display = [
        "partner",
        "latency_ms",
        "error_rate",
        "rate_limit_rate",
        "retry_after_seconds",
        "stall_seconds",
        "malformed_rate",
        "updated_at",
    ]


@admin.register(SimAccount)
class SimAccountAdmin(admin.ModelAdmin):
    form = SimulatedPartnerForm
    list_display = ["external_id", "partner", "email", "reference", "created_at"]
    list_filter = ["partner"]
    search_fields = ["external_id", "email", "reference"]


def _advance(request, queryset, **how) -> None:
    sent = 0
    for row in queryset:
        with transaction.atomic():
            events = state.advance(row, **how)
            send_events_on_commit(row, events)
        sent += len(events)
    messages.info(request, f"{queryset.count()} enrollment(s) moved on; {sent} webhook(s) sent.")


@admin.register(SimEnrollment)
class SimEnrollmentAdmin(admin.ModelAdmin):
    form = SimulatedPartnerForm
    list_display = [
        "external_id",
        "partner",
        "course_code",
        "account",
        "status",
        "progress",
        "certificate_number",
        "updated_at",
    ]
    list_filter = ["partner", "status"]
    list_select_related = ["account"]
    search_fields = ["external_id", "reference", "account__email", "course_code"]
    actions = ["advance_25", "complete"]

    # Django formats an action's description with `%` (for `%(verbose_name_plural)s`), so
    # a bare percent sign made this changelist a 500.
    @admin.action(
        description="Advance progress by 25 points (sends webhooks)", permissions=["change"]
    )
    def advance_25(self, request, queryset):
        _advance(request, queryset, by=25)

    @admin.action(
        description="Complete the course and issue the certificate (sends webhooks)",
        permissions=["change"],
    )
    def complete(self, request, queryset):
        _advance(request, queryset, to=100, passed=True)


@admin.register(SimVoucher)
class SimVoucherAdmin(admin.ModelAdmin):
    form = SimulatedPartnerForm
    list_display = ["code", "partner", "course_code", "account", "used", "expires_at"]
    list_filter = ["partner", "used"]
    list_select_related = ["account"]


@admin.register(SimWebhook)
class SimWebhookAdmin(admin.ModelAdmin):
    form = SimulatedPartnerForm
    list_display = ["sent_at", "partner", "event_type", "webhook_id", "response_status", "error"]
    list_filter = ["partner", "event_type", "response_status"]
    search_fields = ["webhook_id"]
