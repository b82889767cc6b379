from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from partners.modes import ConnectionMode


class Partner(models.Model):
    """A training partner. The slug is the URL slug, the settings prefix and the registry key.

    No secrets live here: credentials come from the environment (see partners.config).
    `mode` is the partner's own mode; the one in force is `partners.config.effective_mode`.
    """

    slug = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    mode = models.CharField(
        max_length=10,
        choices=ConnectionMode.choices,
        default=ConnectionMode.MANUAL,
        help_text="How the organisation works with this partner when nothing in the "
        "configuration overrides it (<SLUG>_MODE, or api while the simulator is on).",
    )
    active = models.BooleanField(default=True)
    website = models.URLField(blank=True)
    support_contact = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerCourseQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True, partner__active=True)


class PartnerCourse(models.Model):
    """A course in a partner's catalogue, with what it costs us and what we charge."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="courses")
    code = models.CharField("partner's course code", max_length=64)
    title = models.CharField(max_length=200)
    credential_name = models.CharField(max_length=200, blank=True)
    hours = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    wholesale_cost = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    retail_price = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    validity_months = models.PositiveSmallIntegerField(
        "certificate validity (months)",
        null=True,
        blank=True,
        help_text="Empty when the credential does not expire.",
    )
    needs_voucher = models.BooleanField(
        default=False, help_text="Enrolling takes a voucher, credit or seat from stock."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartnerCourseQuerySet.as_manager()

    class Meta:
        ordering = ["partner__name", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "code"],
                name="partnercourse_unique_code_per_partner",
                violation_error_message="This partner already has a course with this code.",
            ),
            models.CheckConstraint(
                condition=Q(wholesale_cost__gte=0) & Q(retail_price__gte=0) & Q(hours__gte=0),
                name="partnercourse_amounts_not_negative",
                violation_error_message="Hours, cost and price cannot be negative.",
            ),
        ]
        indexes = [models.Index(fields=["active", "partner"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.partner.slug}:{self.code})"

    @property
    def margin(self) -> Decimal:
        return self.retail_price - self.wholesale_cost
