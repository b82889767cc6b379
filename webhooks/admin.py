from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import path

from config.admin import RecordAdmin, date_range_filter
from webhooks.admin_sample import send_test_webhook_view
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.replay import describe, events_reprocess

# Processed inline so staff see the outcome at once; larger sets go through
# `manage.py replay_webhooks`.
REPROCESS_LIMIT = 500


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
    list_filter = ["verdict", "partner", date_range_filter("received_at")]
    search_fields = ["=webhook_id", "partner_slug"]
    show_full_result_count = False

    def get_urls(self):
        # The Partner admin's "Send a test webhook" button (webhooks/admin_sample.py).
        send_test = self.admin_site.admin_view(send_test_webhook_view)
        return [
            path("send-test/", send_test, name="webhooks_send_test_webhook"),
            *super().get_urls(),
        ]


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
    list_filter = ["status", "partner", "event_type", date_range_filter("received_at")]
    list_select_related = ["partner", "enrollment__student", "enrollment__course"]
    search_fields = ["=webhook_id", "=enrollment__id"]
    show_full_result_count = False
    actions = ["reprocess"]

    @admin.action(description="Reprocess selected events", permissions=["reprocess"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        ids = list(queryset.order_by("received_at", "pk").values_list("pk", flat=True))
        if len(ids) > REPROCESS_LIMIT:
            self.message_user(
                request,
                f"{len(ids)} events selected; reprocess at most {REPROCESS_LIMIT} here, or "
                "use `manage.py replay_webhooks` for more.",
                messages.ERROR,
            )
            return
        outcome = events_reprocess(event_ids=ids)
        level = messages.WARNING if outcome.get("failed") else messages.SUCCESS
        self.message_user(request, f"Reprocessed {len(ids)} events: {describe(outcome)}.", level)

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        # Events stay read-only records; reprocessing is allowed to those who may change them.
        return request.user.has_perm("webhooks.change_webhookevent")
