"""The simulator's state, in the database so several server processes agree."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class SimAccount(models.Model):
    partner = models.SlugField(max_length=32)
    external_id = models.CharField(max_length=64)
    email = models.EmailField()
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    reference = models.CharField(max_length=64, blank=True, help_text="Our student reference.")
    request = models.JSONField(default=dict, help_text="What the adapter sent.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "simulated account"
        constraints = [
            models.UniqueConstraint(fields=["partner", "external_id"], name="simaccount_unique_id"),
            models.UniqueConstraint(fields=["partner", "email"], name="simaccount_unique_email"),
        ]

    def __str__(self) -> str:
        return f"{self.partner}:{self.external_id} {self.email}"


class SimEnrollment(models.Model):
    class Status(models.TextChoices):
        ENROLLED = "enrolled"
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    partner = models.SlugField(max_length=32)
    external_id = models.CharField(max_length=64)
    account = models.ForeignKey(SimAccount, on_delete=models.CASCADE, related_name="enrollments")
    course_code = models.CharField(max_length=64)
    reference = models.CharField(max_length=64, blank=True, help_text="Our enrollment id.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ENROLLED)
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    certificate_number = models.CharField(max_length=64, blank=True)
    certificate_issued_at = models.DateTimeField(null=True, blank=True)
    certificate_expires_at = models.DateTimeField(null=True, blank=True)
    options = models.JSONField(
        default=dict, help_text="Partner extras: type, voucher, promo, group."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "simulated enrollment"
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "external_id"], name="simenrollment_unique_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner}:{self.external_id} {self.course_code} {self.progress}%"


class SimVoucher(models.Model):
    partner = models.SlugField(max_length=32)
    code = models.CharField(max_length=64)
    course_code = models.CharField(max_length=64)
    account = models.ForeignKey(SimAccount, on_delete=models.CASCADE, related_name="vouchers")
    used = models.BooleanField(default=False)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "simulated voucher"
        constraints = [
            models.UniqueConstraint(fields=["partner", "code"], name="simvoucher_unique_code")
        ]

    def __str__(self) -> str:
        return self.code


class SimIdempotencyRecord(models.Model):
    """The first answer to an Idempotency-Key, replayed for every retry of it."""

    partner = models.SlugField(max_length=32)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="Hash of method, path and body.")
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "key"], name="simidempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.key} → {self.status}"


class SimFault(models.Model):
    """Faults injected into one partner's simulated API, on demand."""

    partner = models.SlugField(max_length=32, unique=True)
    latency_ms = models.PositiveIntegerField(
        default=0,
        help_text="Every answer comes this long after the request (the simulator's own work "
        "done within it).",
    )
    error_rate = models.FloatField(
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Share of requests answered 503.",
    )
    rate_limit_rate = models.FloatField(
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Share of requests answered 429 with Retry-After.",
    )
    retry_after_seconds = models.PositiveIntegerField(default=1)
    stall_seconds = models.FloatField(
        default=0, help_text="Sleep this long before answering (past the client's read timeout)."
    )
    malformed_rate = models.FloatField(
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Share of requests answered 200 with a body that is not JSON.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "simulated fault"

    def __str__(self) -> str:
        return f"faults for {self.partner}"

    @property
    def is_clear(self) -> bool:
        return not (
            self.latency_ms
            or self.error_rate
            or self.rate_limit_rate
            or self.stall_seconds
            or self.malformed_rate
        )


class SimWebhook(models.Model):
    """Every webhook the simulator sent to our receiver, and what it answered."""

    partner = models.SlugField(max_length=32)
    webhook_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=64)
    url = models.URLField(max_length=500)
    body = models.JSONField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = "simulated webhook sent"

    def __str__(self) -> str:
        return f"{self.partner} {self.event_type} → {self.response_status or self.error}"
