from django.contrib import admin
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils.html import format_html

from config.admin import RecordAdmin
from enrollments import admin_actions
from enrollments.models import (
    ApiIdempotencyKey,
    Certificate,
    Cohort,
    Enrollment,
    EnrollmentEvent,
    PartnerAccount,
    Student,
    StudentEmail,
    Voucher,
)
from enrollments.selectors import enrollment_timeline


class PartnerAccountInline(admin.TabularInline):
    model = PartnerAccount
    extra = 0
    fields = ["partner", "external_id", "username", "login_url"]
    autocomplete_fields = ["partner"]


@admin.register(Student)
class StudentAdmin(admin_actions.EnrolPermissionMixin, admin.ModelAdmin):
    list_display = [
        "external_ref",
        "last_name",
        "first_name",
        "email",
        "phone",
        "enrollment_count",
        "created_at",
    ]
    search_fields = ["external_ref", "first_name", "last_name", "email"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PartnerAccountInline]
    actions = [admin_actions.enroll_students]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(enrollment_count=Count("enrollments"))

    @admin.display(description="enrollments", ordering="enrollment_count")
    def enrollment_count(self, obj: Student) -> int:
        return obj.enrollment_count


@admin.register(PartnerAccount)
class PartnerAccountAdmin(admin.ModelAdmin):
    list_display = ["student", "partner", "external_id", "username", "created_at"]
    list_filter = ["partner"]
    list_select_related = ["student", "partner"]
    search_fields = [
        "external_id",
        "username",
        "student__external_ref",
        "student__last_name",
        "student__email",
    ]
    autocomplete_fields = ["student", "partner"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Cohort)
class CohortAdmin(admin_actions.EnrolPermissionMixin, admin.ModelAdmin):
    list_display = ["name", "partner", "group_code", "starts_on", "ends_on", "student_count"]
    list_filter = ["partner"]
    list_select_related = ["partner"]
    search_fields = ["name", "group_code"]
    autocomplete_fields = ["partner", "students"]
    actions = [admin_actions.enroll_cohorts]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(student_count=Count("students", distinct=True))
        )

    @admin.display(description="students", ordering="student_count")
    def student_count(self, obj: Cohort) -> int:
        return obj.student_count


class CertificateInline(admin.StackedInline):
    model = Certificate
    extra = 0
    fields = [
        "number",
        "issued_at",
        "expires_at",
        "url",
        "verification_url",
        "file",
        "source",
        "verified_at",
    ]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "student",
        "course_code",
        "partner",
        "status",
        "progress",
        "funding_source",
        "requested_at",
        "completed_at",
        "short_error",
    ]
    list_filter = ["status", "partner", "funding_source", "requested_at", "completed_at"]
    list_select_related = ["student", "course", "partner"]
    search_fields = [
        "=id",
        "student__external_ref",
        "student__last_name",
        "student__email",
        "external_enrollment_id",
        "course__code",
    ]
    autocomplete_fields = ["student", "course", "cohort"]
    date_hierarchy = "requested_at"
    readonly_fields = [
        "partner",
        "requested_at",
        "submitted_at",
        "started_at",
        "completed_at",
        "cancelled_at",
        "last_event_at",
        "last_synced_at",
        "attempts",
        "next_attempt_at",
        "last_error",
        "partner_data",
        "created_at",
        "updated_at",
        "timeline",
    ]
    fieldsets = [
        (None, {"fields": ["student", "course", "partner", "cohort", "funding_source", "status"]}),
        (
            "Progress",
            {
                "fields": [
                    "promo_code",
                    "progress_percent",
                    "score",
                    "passed",
                    "external_enrollment_id",
                    "launch_url",
                ]
            },
        ),
        (
            "Timeline",
            {
                "fields": [
                    "requested_at",
                    "submitted_at",
                    "started_at",
                    "completed_at",
                    "cancelled_at",
                    "last_event_at",
                    "last_synced_at",
                ]
            },
        ),
        (
            "Partner calls",
            {"fields": ["attempts", "next_attempt_at", "last_error", "partner_data"]},
        ),
        ("Timeline", {"fields": ["timeline"]}),
    ]
    inlines = [CertificateInline]
    actions = [
        admin_actions.retry_provisioning,
        admin_actions.sync_now,
        admin_actions.cancel,
        admin_actions.open_launch_url,
    ]

    @admin.display(description="events applied, partner calls and e-mails, oldest first")
    def timeline(self, obj: Enrollment) -> str:
        if obj.pk is None:
            return "-"
        return render_to_string(
            "admin/enrollments/timeline.html", {"entries": enrollment_timeline(obj)}
        )

    @admin.display(description="course", ordering="course__code")
    def course_code(self, obj: Enrollment) -> str:
        return obj.course.code

    @admin.display(description="progress", ordering="progress_percent")
    def progress(self, obj: Enrollment) -> str:
        return format_html(
            '<progress max="100" value="{}" title="{} %"></progress> {} %',
            obj.progress_percent,
            obj.progress_percent,
            obj.progress_percent,
        )

    @admin.display(description="last error")
    def short_error(self, obj: Enrollment) -> str:
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "student",
        "course",
        "issued_at",
        "expires_at",
        "source",
        "verified_at",
    ]
    list_filter = ["source", "enrollment__partner", "issued_at", "expires_at"]
    list_select_related = ["enrollment__student", "enrollment__course"]
    search_fields = [
        "number",
        "enrollment__student__external_ref",
        "enrollment__student__last_name",
    ]
    autocomplete_fields = ["enrollment"]
    readonly_fields = ["created_at"]

    @admin.display(description="student", ordering="enrollment__student__last_name")
    def student(self, obj: Certificate):
        return obj.enrollment.student

    @admin.display(description="course", ordering="enrollment__course__code")
    def course(self, obj: Certificate) -> str:
        return obj.enrollment.course.code


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "partner",
        "course",
        "cost",
        "status",
        "expires_at",
        "enrollment",
        "assigned_at",
    ]
    list_filter = ["status", "partner", "expires_at"]
    list_select_related = [
        "partner",
        "course__partner",
        "enrollment__student",
        "enrollment__course",
    ]
    search_fields = ["code", "enrollment__student__external_ref"]
    autocomplete_fields = ["partner", "course", "enrollment"]
    readonly_fields = ["created_at"]


@admin.register(EnrollmentEvent)
class EnrollmentEventAdmin(RecordAdmin):
    list_display = ["applied_at", "enrollment", "event_type", "source", "occurred_at", "note"]
    list_filter = ["event_type", "source", "applied_at"]
    list_select_related = ["enrollment__student", "enrollment__course"]
    search_fields = ["=enrollment__id", "event_key"]
    show_full_result_count = False


@admin.register(StudentEmail)
class StudentEmailAdmin(RecordAdmin):
    list_display = ["sent_at", "kind", "key", "recipient", "subject", "enrollment"]
    list_filter = ["kind", "sent_at"]
    list_select_related = ["enrollment__student", "enrollment__course"]
    search_fields = ["recipient", "=enrollment__id"]


@admin.register(ApiIdempotencyKey)
class ApiIdempotencyKeyAdmin(RecordAdmin):
    list_display = ["created_at", "user", "key", "status"]
    list_select_related = ["user"]
    search_fields = ["key"]
