from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from partners.models import Partner, PartnerCourse


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


class FundingSource(models.TextChoices):
    WIOA = "wioa", "WIOA"
    SELF_PAY = "self_pay", "Self-pay"
    EMPLOYER = "employer", "Employer"
    GRANT = "grant", "Grant"
    OTHER = "other", "Other"


class EnrollmentStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    SUBMITTED = "submitted", "Submitted to partner"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (EnrollmentStatus.REQUESTED, EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)


class EnrollmentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Enrollment(models.Model):
    """A student in one partner course: requested → submitted → active → completed,
    or failed (staff can retry) or cancelled."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="enrollments")
    course = models.ForeignKey(PartnerCourse, on_delete=models.PROTECT, related_name="enrollments")
    # Denormalised from the course so external ids are unique per partner and lists
    # filter by partner without a join; always set from the course on save.
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="enrollments", editable=False
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.SET_NULL, null=True, blank=True, related_name="enrollments"
    )
    funding_source = models.CharField(
        max_length=16, choices=FundingSource.choices, default=FundingSource.OTHER
    )
    status = models.CharField(
        max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.REQUESTED
    )
    progress_percent = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    score = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="As the partner reports it (Certiport: out of 1000).",
    )
    passed = models.BooleanField(null=True, blank=True)
    external_enrollment_id = models.CharField("partner's enrollment id", max_length=128, blank=True)
    launch_url = models.URLField(max_length=1000, blank=True)

    requested_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(
        null=True, blank=True, help_text="When the newest partner event applied happened."
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)

    last_error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    partner_data = models.JSONField(
        default=dict, blank=True, help_text="What the partner last sent, as it sent it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course"],
                condition=Q(status__in=OPEN_STATUSES),
                name="enrollment_one_open_per_student_and_course",
                violation_error_message=(
                    "This student already has an open enrollment in this course; "
                    "complete, fail or cancel it before enrolling again."
                ),
            ),
            models.UniqueConstraint(
                fields=["partner", "external_enrollment_id"],
                condition=~Q(external_enrollment_id=""),
                name="enrollment_unique_external_id_per_partner",
                violation_error_message="Another enrollment has this partner enrollment id.",
            ),
            models.CheckConstraint(
                condition=Q(progress_percent__gte=0) & Q(progress_percent__lte=100),
                name="enrollment_progress_0_to_100",
                violation_error_message="Progress is a percentage between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0),
                name="enrollment_score_not_negative",
                violation_error_message="A score cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EnrollmentStatus.values),
                name="enrollment_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-requested_at"]),
            models.Index(fields=["partner", "status"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["completed_at"]),
            models.Index(fields=["funding_source"]),
        ]

    def __str__(self) -> str:
        student = self.student.full_name if self.student_id else "?"
        return f"#{self.pk} {student} in {self.course.code if self.course_id else '?'}"

    def save(self, *args, **kwargs):
        if self.course_id and not self.partner_id:
            self.partner_id = self.course.partner_id
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def clean(self) -> None:
        errors = {}
        if self.course_id:
            course = self.course
            if self.partner_id and self.partner_id != course.partner_id:
                errors["course"] = "This course belongs to another partner's catalogue."
            if self.cohort_id and self.cohort.partner_id not in (None, course.partner_id):
                errors["cohort"] = (
                    f"This cohort is for {self.cohort.partner}, but the course is "
                    f"{course.partner}'s."
                )
            if self._state.adding and not course.active:
                errors["course"] = "This course is no longer offered."
        if self.status == EnrollmentStatus.COMPLETED and self.progress_percent != 100:
            errors["progress_percent"] = "A completed enrollment is at 100 %."
        if errors:
            raise ValidationError(errors)


class CertificateSource(models.TextChoices):
    API = "api", "Partner API"
    WEBHOOK = "webhook", "Partner webhook"
    IMPORT = "import", "Results import"
    MANUAL = "manual", "Entered by staff"


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
    verified_at = models.DateTimeField(null=True, blank=True)
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
