from django.contrib import admin
from django.db.models import Count

from partners.config import effective_mode
from partners.models import Partner, PartnerCourse


class PartnerCourseInline(admin.TabularInline):
    model = PartnerCourse
    extra = 0
    fields = ["code", "title", "credential_name", "retail_price", "needs_voucher", "active"]
    show_change_link = True


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "mode",
        "mode_in_force",
        "active",
        "course_count",
        "support_contact",
    ]
    list_filter = ["mode", "active"]
    search_fields = ["name", "slug"]
    readonly_fields = ["mode_in_force", "created_at", "updated_at"]
    inlines = [PartnerCourseInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(course_count=Count("courses"))

    @admin.display(description="courses", ordering="course_count")
    def course_count(self, obj: Partner) -> int:
        return obj.course_count

    @admin.display(description="mode in force")
    def mode_in_force(self, obj: Partner) -> str:
        return effective_mode(obj)


@admin.register(PartnerCourse)
class PartnerCourseAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "partner",
        "code",
        "credential_name",
        "hours",
        "wholesale_cost",
        "retail_price",
        "margin",
        "validity_months",
        "needs_voucher",
        "active",
    ]
    list_filter = ["partner", "needs_voucher", "active"]
    list_select_related = ["partner"]
    search_fields = ["code", "title", "credential_name", "partner__name"]
    autocomplete_fields = ["partner"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="margin")
    def margin(self, obj: PartnerCourse):
        return obj.margin
