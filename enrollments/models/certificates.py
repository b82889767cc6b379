from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from enrollments.models.enrollment import Enrollment
from partners.models import Partner, PartnerCourse


class CertificateSource(models.TextChoices):
    API = "api", "Partner API"
    WEBHOOK = "webhook", "Partner webhook"
    IMPORT = "import", "Results import"
    MANUAL = "manual", "Entered by staff"


class VerificationStatus(models.TextChoices):
    UNCHECKED = "unchecked", "Not checked"
    VERIFIED = "verified", "Verified"
    REVOKED = "revoked", "Revoked by the issuer"
    EXPIRED = "expired", "Expired"
    MISMATCH = "mismatch", "Issued to someone else"
    RECORDED = "recorded", "Verification link recorded (no check possible)"
    FAILED = "failed", "Could not be checked"


class Certificate(models.Model):
    """The credential an enrollment earned. Expiry is the partner's date, else issued +
    the course's validity."""

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="certificate"
    )
    number = models.CharField("certificate number", max_length=128, blank=True, db_index=True)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    url = models.URLField("certificate URL", max_length=1000, blank=True)
    verification_url = models.URLField(max_length=1000, blank=True)
    file = models.FileField(upload_to="certificates/%Y/%m/", blank=True)
    source = models.CharField(
        max_length=10, choices=CertificateSource.choices, default=CertificateSource.MANUAL
    )
    # The last credential check (enrollments/services/verification.py): when, what it
    # found, and the issuer's words. `verified_at` is when it was last found good.
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_status = models.CharField(
        max_length=10, choices=VerificationStatus.choices, default=VerificationStatus.UNCHECKED
    )
    verification_checked_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField(blank=True)
    partner_data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("issued_at")),
                name="certificate_expires_after_issue",
                violation_error_message="A certificate cannot expire before it is issued.",
            )
        ]

    def __str__(self) -> str:
        return self.number or f"certificate of enrollment #{self.enrollment_id}"

    def save(self, *args, **kwargs):
        if self.expires_at is None and self.enrollment_id:
            self.expires_at = self.default_expiry()
        super().save(*args, **kwargs)

    def default_expiry(self):
        """Issued + the course's validity, or None when the credential does not expire."""
        months = self.enrollment.course.validity_months
        if not months or not self.issued_at:
            return None
        return self.issued_at + relativedelta(months=months)


class VoucherStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    ASSIGNED = "assigned", "Assigned"
    REDEEMED = "redeemed", "Redeemed"
    EXPIRED = "expired", "Expired"
    VOID = "void", "Void"


class Voucher(models.Model):
    """A voucher, credit or seat bought from a partner (a credit or seat has no code)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="vouchers")
    course = models.ForeignKey(
        PartnerCourse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vouchers",
        help_text="Empty when it is good for any of the partner's courses.",
    )
    code = models.CharField(max_length=128, blank=True)
    cost = models.DecimalField(
        max_digits=10, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=VoucherStatus.choices, default=VoucherStatus.AVAILABLE
    )
    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.SET_NULL, null=True, blank=True, related_name="voucher"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # A bulk add's reference: the rows one confirm wrote, and what makes a confirm sent
    # twice add nothing the second time.
    batch = models.CharField(max_length=36, blank=True, db_index=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner__name", "status", "expires_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "code"],
                condition=~Q(code=""),
                name="voucher_unique_code_per_partner",
                violation_error_message="This partner already has a voucher with this code.",
            ),
            models.CheckConstraint(
                condition=Q(status=VoucherStatus.AVAILABLE, enrollment__isnull=True)
                | Q(
                    status__in=[VoucherStatus.ASSIGNED, VoucherStatus.REDEEMED],
                    enrollment__isnull=False,
                )
                | Q(status__in=[VoucherStatus.EXPIRED, VoucherStatus.VOID]),
                name="voucher_assignment_matches_status",
                violation_error_message=(
                    "An available voucher has no enrollment; an assigned or redeemed one has one."
                ),
            ),
            models.CheckConstraint(condition=Q(cost__gte=0), name="voucher_cost_not_negative"),
        ]
        indexes = [models.Index(fields=["partner", "status", "course"])]

    def __str__(self) -> str:
        return self.code or f"{self.partner.slug} credit #{self.pk}"

    def clean(self) -> None:
        errors = {}
        if self.course_id and self.partner_id and self.course.partner_id != self.partner_id:
            errors["course"] = "This course belongs to another partner's catalogue."
        if self.enrollment_id and self.partner_id and self.enrollment.partner_id != self.partner_id:
            errors["enrollment"] = "This enrollment is with another partner."
        if errors:
            raise ValidationError(errors)
