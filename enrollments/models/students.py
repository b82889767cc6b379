from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from partners.models import Partner


class Student(models.Model):
    """One of the organisation's students, known by the organisation's own reference."""

    external_ref = models.CharField(
        "student reference",
        max_length=64,
        unique=True,
        help_text="The organisation's own id for this student.",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(db_index=True)
    phone = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.external_ref})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PartnerAccount(models.Model):
    """A student's account on a partner's platform.

    A temporary password a partner hands back is e-mailed to the student once and never
    stored: there is deliberately no field for it.
    """

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="partner_accounts")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="accounts")
    external_id = models.CharField("partner's account id", max_length=128, blank=True)
    username = models.CharField(max_length=150, blank=True)
    login_url = models.URLField(max_length=500, blank=True)
    partner_data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partner__name", "student__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "student"],
                name="partneraccount_one_per_student_and_partner",
                violation_error_message="This student already has an account with this partner.",
            ),
            models.UniqueConstraint(
                fields=["partner", "external_id"],
                condition=~Q(external_id=""),
                name="partneraccount_unique_external_id",
                violation_error_message="Another student already has this partner account id.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.slug}:{self.external_id or '(not created)'} for {self.student}"


class Cohort(models.Model):
    """A named group of students, with the partner-side group code used for group
    enrolment and roster files (CareerSafe group code, Certiport exam group, NRF site)."""

    name = models.CharField(max_length=120, unique=True)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="cohorts"
    )
    group_code = models.CharField("partner group code", max_length=64, blank=True)
    students = models.ManyToManyField(Student, related_name="cohorts", blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "group_code"],
                condition=~Q(group_code=""),
                name="cohort_unique_group_code_per_partner",
                violation_error_message="Another cohort already uses this partner group code.",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="cohort_ends_after_it_starts",
                violation_error_message="A cohort cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.group_code and not self.partner_id:
            raise ValidationError({"partner": "A group code belongs to a partner: choose one."})
