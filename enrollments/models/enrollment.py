from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from enrollments.models.students import Cohort, Student
from partners.models import Partner, PartnerCourse


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
    # When the partner events that set score and passed happened: an older event arriving
    # late never overwrites them.
    score_as_of = models.DateTimeField(null=True, blank=True)
    passed_as_of = models.DateTimeField(null=True, blank=True)
    external_enrollment_id = models.CharField("partner's enrollment id", max_length=128, blank=True)
    launch_url = models.URLField(max_length=1000, blank=True)
    promo_code = models.CharField(
        max_length=64, blank=True, help_text="Sent with the enrolment where the partner takes one."
    )

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
            # Revenue by course on the dashboard counts enrollments per course and status.
            models.Index(fields=["course", "status"]),
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
