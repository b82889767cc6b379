"""Webhook deliveries on an enrollment's timeline: webhooks registers this source with
enrollments (enrollments.selectors.add_timeline_source), which never imports webhooks."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse

from enrollments.models import Enrollment
from enrollments.selectors import TimelineEntry
from webhooks.models import DeliveryVerdict, EventStatus, WebhookDelivery


def webhook_deliveries(enrollment: Enrollment, limit: int) -> Iterator[TimelineEntry]:
    """The newest `limit` deliveries of the webhook events about this enrollment, each
    with what became of its event."""
    deliveries = (
        WebhookDelivery.objects.filter(event__enrollment_id=enrollment.pk)
        .select_related("event")
        .order_by("-received_at")
    )
    for delivery in deliveries[:limit]:
        event = delivery.event
        outcome = event.get_status_display().lower()
        if event.last_error:
            outcome += f": {event.last_error}"
        yield TimelineEntry(
            at=delivery.received_at,
            kind="webhook",
            title=f"Webhook {event.event_type or '(no type)'} ({delivery.get_verdict_display()})",
            detail=f"answered {delivery.response_status}, event {outcome}",
            ok=delivery.verdict in (DeliveryVerdict.ACCEPTED, DeliveryVerdict.DUPLICATE)
            and event.status != EventStatus.FAILED,
            link=reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]),
        )
