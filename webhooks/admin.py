from django.contrib import admin

from monitoring.admin import RecordAdmin
from webhooks.models import WebhookDelivery, WebhookEvent


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RecordAdmin):
    list_display = [
        "received_at",
        "partner_slug",
        "webhook_id",
        "verdict",
        "response_status",
        "source_ip",
        "body_size",
    ]
    list_filter = ["verdict", "partner", "received_at"]
    search_fields = ["=webhook_id", "partner_slug"]
    show_full_result_count = False


@admin.register(WebhookEvent)
class WebhookEventAdmin(RecordAdmin):
    list_display = [
        "received_at",
        "partner",
        "webhook_id",
        "event_type",
        "status",
        "attempts",
        "processed_at",
        "enrollment",
    ]
    list_filter = ["status", "partner", "event_type", "received_at"]
    list_select_related = ["partner", "enrollment__student", "enrollment__course"]
    search_fields = ["=webhook_id", "=enrollment__id"]
    show_full_result_count = False
