from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce

from partners.models import Partner


class CallOutcome(models.TextChoices):
    SUCCESS = "success", "Success (2xx/3xx)"
    CLIENT_ERROR = "client_error", "Client error (4xx)"
    SERVER_ERROR = "server_error", "Server error (5xx)"
    TRANSPORT_ERROR = "transport_error", "No answer (timeout, connection)"
    REFUSED = "refused", "Not sent (circuit open)"


class PartnerRequestLog(models.Model):
    """One attempt of one call to a partner, bodies redacted and bounded.

    This table grows fast: every filter the admin offers has an index, and old rows are
    pruned on a schedule.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="request_logs")
    operation = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    url = models.CharField("URL (no secrets)", max_length=2000)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=CallOutcome.choices)
    duration_ms = models.PositiveIntegerField(default=0)
    attempt = models.PositiveSmallIntegerField(default=1)
    error_class = models.CharField(max_length=100, blank=True)
    error_message = models.CharField(max_length=1000, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    enrollment = models.ForeignKey(
        "enrollments.Enrollment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="request_logs",
        db_constraint=False,
    )
    request_headers = models.JSONField(default=dict, blank=True)
    request_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Time first, then what the dashboard aggregates: its charts and the alert
            # rules read only this index, never the wide rows with their bodies.
            models.Index(
                fields=["created_at", "partner", "outcome", "duration_ms"],
                name="reqlog_time_covering",
            ),
            models.Index(
                fields=["partner", "created_at", "outcome", "duration_ms"],
                name="reqlog_partner_time_covering",
            ),
            models.Index(fields=["partner", "outcome", "-created_at"]),
            models.Index(fields=["operation", "-created_at"]),
            models.Index(fields=["outcome", "-created_at"]),
            models.Index(fields=["correlation_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.operation} {self.status_code or self.error_class}"


class PartnerCallHour(models.Model):
    """One partner's calls in one hour (UTC), kept by the recorder in the same transaction
    as the request logs it writes (monitoring/recorder.py): the dashboard's charts read
    these few rows instead of aggregating the logs. The counts are those of
    monitoring.partner_activity.call_aggregates: calls sent, failed and refused, and the
    cumulative latency histogram (`le_<ms>`: sent calls that took at most that long)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    le_50 = models.PositiveIntegerField(default=0)
    le_100 = models.PositiveIntegerField(default=0)
    le_250 = models.PositiveIntegerField(default=0)
    le_500 = models.PositiveIntegerField(default=0)
    le_1000 = models.PositiveIntegerField(default=0)
    le_2500 = models.PositiveIntegerField(default=0)
    le_5000 = models.PositiveIntegerField(default=0)
    le_10000 = models.PositiveIntegerField(default=0)
    le_30000 = models.PositiveIntegerField(default=0)
    le_60000 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "partner calls per hour"
        verbose_name_plural = "partner calls per hour"
        constraints = [
            models.UniqueConstraint(fields=["partner", "hour"], name="callhour_one_per_partner")
        ]
        indexes = [models.Index(fields=["hour", "partner"], name="callhour_time")]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.hour:%Y-%m-%d %H:00}: {self.calls} calls"


class AlertSeverity(models.TextChoices):
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class Alert(models.Model):
    """A problem a rule found: opened once per (partner, rule), resolved when it clears."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    rule = models.CharField(max_length=64)
    severity = models.CharField(
        max_length=10, choices=AlertSeverity.choices, default=AlertSeverity.WARNING
    )
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    # Per channel, when the opening and the resolution were sent:
    # {"slack": {"opened": "<ISO time>", "resolved": "<ISO time>"}, ...}. Drives the
    # cooldown and retries a channel that failed (see monitoring.notifications).
    notifications = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            # Partner is null for organisation-wide rules; coalesce so those are unique too.
            models.UniqueConstraint(
                "rule",
                Coalesce("partner", Value(0)),
                condition=Q(resolved_at__isnull=True),
                name="alert_one_open_per_partner_and_rule",
                violation_error_message="This alert is already open.",
            )
        ]
        indexes = [
            models.Index(fields=["resolved_at", "-opened_at"]),
            models.Index(fields=["partner", "rule", "-opened_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.rule} ({self.partner or 'all partners'})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
