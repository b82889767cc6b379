"""Students and cohorts in the admin: the student's page, importing students in bulk,
adding them to cohorts and enrolling a cohort with a preview of what will happen."""

from django.contrib import admin
from django.db.models import Count

from enrollments import admin_actions
from enrollments.models import Cohort, PartnerAccount, Student


class PartnerAccountInline(admin.TabularInline):
    """The student's accounts with partners, as provisioning found or made them."""

    model = PartnerAccount
    extra = 0
    fields = ["partner", "external_id", "username", "login_url"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


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
