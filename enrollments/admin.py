from django import forms
from django.contrib import admin
from django.urls import path
from django.utils.html import format_html

from config.admin import AHEAD, RecordAdmin, date_range_filter, truncated

# Modules that register their own admin pages: actions, outcomes, students and cohorts,
# roster batches and the "Export roster" page, result imports and their previews.
from enrollments import (  # noqa: F401
    admin_actions,
    admin_imports,
    admin_outcomes,
    admin_rosters,
    admin_students,
)
from enrollments.admin_certificates import CertificateExportMixin, ExpiresFilter
from enrollments.admin_record import EnrollmentRecordMixin
from enrollments.admin_verification import CertificateVerificationMixin, check_credentials
from enrollments.admin_vouchers import VoucherStockMixin
from enrollments.models import (
    ApiIdempotencyKey,
    Certificate,
    Enrollment,
    EnrollmentEvent,
    PartnerAccount,
    StudentEmail,
    Voucher,
)
from enrollments.services import EnrollmentError, enrollment_create

# What partners report, or what their answers set: written only by the one write path
# (enrollment_apply_event, provisioning), so every form shows them read-only.
PARTNER_DERIVED = {
    Enrollment: [
        "status",
        "progress_percent",
        "score",
        "passed",
        "external_enrollment_id",
        "launch_url",
    ],
    Certificate: [
        "enrollment",
        "number",
        "issued_at",
        "expires_at",
        "url",
        "verification_url",
        "source",
        "verified_at",
        # What the credential check found (enrollments/services/verification.py).
        "verification_status",
        "verification_checked_at",
        "verification_note",
    ],
    PartnerAccount: ["student", "partner", "external_id", "username", "login_url"],
}


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
    readonly_fields = [*PARTNER_DERIVED[PartnerAccount], "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # made by provisioning, with the partner's own ids


class CertificateInline(admin.StackedInline):
    """The certificate as it was recorded ("Record outcome" adds one); only the evidence
    file can be added or replaced here."""

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
    readonly_fields = [f for f in fields if f != "file"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EnrollmentAddForm(forms.ModelForm):
    """Adding an enrollment in the admin is enrollment_create, as everywhere: one open
    enrollment per student and course, a voucher taken, provisioning queued. It runs as
    the form is validated (the admin wraps the whole request in one transaction), so a
    refusal (already enrolled, no voucher left) is a form error and nothing is kept."""

    class Meta:
        model = Enrollment
        fields = ["student", "course", "cohort", "funding_source", "promo_code"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.instance = enrollment_create(
                student=data["student"],
                course=data["course"],
                funding_source=data["funding_source"],
                cohort=data.get("cohort"),
                promo_code=data.get("promo_code") or "",
            )
        except EnrollmentError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data

    def _post_clean(self):
        pass  # the service validated and saved the instance


@admin.register(Enrollment)
class EnrollmentAdmin(EnrollmentRecordMixin, admin.ModelAdmin):
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
        truncated("last_error", 60, description="last error", sortable=False),
    ]
    list_filter = [
        "status",
        "partner",
        "funding_source",
        "cohort",
        date_range_filter("requested_at"),
        date_range_filter("completed_at"),
        date_range_filter("next_attempt_at", "next attempt", ranges=AHEAD, past=True),
    ]
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
    ]
    add_fieldsets = [(None, {"fields": EnrollmentAddForm.Meta.fields})]
    inlines = [CertificateInline]
    actions = [
        admin_actions.retry_provisioning,
        admin_actions.sync_now,
        admin_actions.cancel,
        admin_actions.open_launch_url,
        admin_outcomes.record_outcome,
    ]

    def get_fieldsets(self, request, obj=None):
        return self.change_fieldsets if obj is not None else self.add_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # An enrollment stays with its student and course; what the partner says about
        # it changes only through the write path ("Record outcome" for staff).
        return ["student", "course", *PARTNER_DERIVED[Enrollment], *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = EnrollmentAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        # Added: enrollment_create saved it while the form was validated.

    def get_urls(self):
        outcome = self.admin_site.admin_view(
            lambda request, object_id: admin_outcomes.record_outcome_view(self, request, object_id)
        )
        return [
            path("<path:object_id>/outcome/", outcome, name="enrollments_enrollment_outcome"),
            *super().get_urls(),
        ]

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


@admin.register(Certificate)
class CertificateAdmin(CertificateVerificationMixin, CertificateExportMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "student",
        "course",
        "issued_at",
        "expires_at",
        "source",
        "verified_at",
        "verification",
    ]
    list_filter = [
        "source",
        "enrollment__partner",
        "issued_at",
        ExpiresFilter,
        "verification_status",
    ]
    actions = [check_credentials]
    list_select_related = ["enrollment__student", "enrollment__course"]
    search_fields = [
        "number",
        "enrollment__student__external_ref",
        "enrollment__student__last_name",
    ]
    # Certificates come from partners and from "Record outcome" on the enrollment; here
    # only the evidence file can be changed.
    readonly_fields = [*PARTNER_DERIVED[Certificate], "partner_data", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="student", ordering="enrollment__student__last_name")
    def student(self, obj: Certificate):
        return obj.enrollment.student

    @admin.display(description="course", ordering="enrollment__course__code")
    def course(self, obj: Certificate) -> str:
        return obj.enrollment.course.code


@admin.register(Voucher)
class VoucherAdmin(VoucherStockMixin, admin.ModelAdmin):
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
    list_filter = [
        "status",
        "partner",
        date_range_filter("expires_at", "expires", ranges=AHEAD, past=True, empty="no expiry"),
    ]
    list_select_related = [
        "partner",
        "course__partner",
        "enrollment__student",
        "enrollment__course",
    ]
    search_fields = ["code", "=batch", "enrollment__student__external_ref"]
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
    list_filter = ["kind", "enrollment__partner", date_range_filter("sent_at")]
    fields = ["sent_at", "kind", "key", "recipient", "subject", "enrollment", "text"]
    readonly_fields = fields

    @admin.display(description="text as sent")
    def text(self, obj: StudentEmail) -> str:
        return format_html(
            '<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
            obj.body or "(sent before e-mail texts were kept)",
        )

    list_select_related = ["enrollment__student", "enrollment__course"]
    search_fields = ["recipient", "=enrollment__id"]


@admin.register(ApiIdempotencyKey)
class ApiIdempotencyKeyAdmin(RecordAdmin):
    list_display = ["created_at", "user", "key", "status"]
    list_select_related = ["user"]
    search_fields = ["key"]
