from django.db import models
from django.db.models import Q

from partners.models import Partner


class DeliveryVerdict(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    DUPLICATE = "duplicate", "Duplicate"
    IGNORED = "ignored", "Ignored (type not handled)"
    BAD_SIGNATURE = "bad_signature", "Bad signature"
    MISSING_HEADERS = "missing_headers", "Missing signature headers"
    STALE_TIMESTAMP = "stale_timestamp", "Timestamp outside tolerance"
    INVALID_JSON = "invalid_json", "Body is not JSON"
    TOO_LARGE = "too_large", "Body too large"
    UNKNOWN_PARTNER = "unknown_partner", "Unknown or inactive partner"
    METHOD_NOT_ALLOWED = "method_not_allowed", "Method not allowed"
    NOT_CONFIGURED = "not_configured", "Not configured (invalid webhook secret)"
    RATE_LIMITED = "rate_limited", "Too many refusals (later ones not stored)"
    ERROR = "error", "Error while storing"


class WebhookDelivery(models.Model):
    """One row per POST to the receiver, valid or not: what arrived and what we answered."""

    received_at = models.DateTimeField(auto_now_add=True)
    # The slug as it appeared in the URL, kept even when no such partner exists.
    partner_slug = models.CharField(max_length=64)
    # No index of its own: (partner, verdict, -received_at) serves every partner lookup.
    # No database constraint either (Django still applies SET_NULL): checking it locks the
    # partner's row (FOR KEY SHARE) in every delivery's transaction, and with seven hot
    # rows under concurrent deliveries PostgreSQL turns those locks into multixacts, the
    # largest database cost of receiving. Partners are never deleted in practice.
    partner = models.ForeignKey(
        Partner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
        db_constraint=False,
    )
    method = models.CharField(max_length=10, default="POST")
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    webhook_id = models.CharField(max_length=255, blank=True)
    headers = models.JSONField(default=dict, blank=True, help_text="Secrets redacted.")
    body = models.TextField(
        blank=True,
        help_text="Bounded (a refused delivery keeps its first 2 KiB); see body_size for the "
        "real length.",
    )
    body_size = models.PositiveIntegerField(default=0)
    body_truncated = models.BooleanField(default=False)
    # Refused deliveries only: tells two cut bodies apart, or one from a partner's copy.
    body_sha256 = models.CharField(
        "body SHA-256",
        max_length=64,
        blank=True,
        help_text="Of the body as read, for refused deliveries (whose body is cut).",
    )
    verdict = models.CharField(max_length=20, choices=DeliveryVerdict.choices)
    detail = models.CharField(max_length=500, blank=True)
    response_status = models.PositiveSmallIntegerField()
    event = models.ForeignKey(
        "WebhookEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["-received_at"]),
            models.Index(fields=["partner", "verdict", "-received_at"]),
            models.Index(fields=["verdict", "-received_at"]),
            models.Index(fields=["webhook_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.partner_slug} {self.webhook_id or '-'} {self.verdict}"


class EventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    DEFERRED = "deferred", "Deferred (enrollment not known yet)"
    FAILED = "failed", "Failed"


class WebhookEvent(models.Model):
    """One row per distinct event a partner sent: unique per (partner, webhook-id)."""

    # No index of its own: the unique (partner, webhook_id) and (partner, status,
    # -received_at) serve every partner lookup. No database constraint, for the reason
    # given on WebhookDelivery.partner; Django's PROTECT still guards deletion.
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="webhook_events",
        db_index=False,
        db_constraint=False,
    )
    webhook_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.RECEIVED
    )
    enrollment = models.ForeignKey(
        "enrollments.Enrollment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_events",
    )
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "webhook_id"], name="webhookevent_unique_per_partner"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EventStatus.values), name="webhookevent_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["partner", "status", "-received_at"]),
            models.Index(fields=["-received_at"]),
            models.Index(fields=["event_type"]),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id and self.partner.slug}:{self.webhook_id} {self.event_type}"
