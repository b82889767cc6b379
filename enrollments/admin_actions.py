"""Admin actions: thin wrappers that call services and say what happened.

Each action asks for the model permission the REST API asks for the same operation
(enrollments/api/views.py): creating enrollments needs `enrollments.add_enrollment`,
acting on one (launch, sync, cancel, retry) needs `enrollments.change_enrollment`.
The admin then neither offers an action to staff without it nor runs a forged POST of
it (Django answers "No action selected." and calls nothing). The enrol actions live in
enrollments/admin_enrolment.py (a preview, then one summary); their page posts back
through the same action, so it is held by the same check.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from enrollments import services
from enrollments.models import FundingSource
from partners.errors import PartnerError
from partners.models import PartnerCourse

# Acting on one enrollment is offered on its list and as a button on its page (the
# page's buttons post these same actions, so they ask the same permission).
ON_LIST_AND_PAGE = [admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM]


class EnrollInCourseForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=PartnerCourse.objects.active()
        .select_related("partner")
        .order_by("partner__name", "title"),
        help_text="Students already enrolled in it (open) are skipped with a note.",
    )
    funding_source = forms.ChoiceField(choices=FundingSource.choices, initial=FundingSource.WIOA)
    promo_code = forms.CharField(required=False, max_length=64)


class EnrolPermissionMixin:
    """For the admin of a model whose actions create enrollments (students, cohorts)."""

    def has_enroll_permission(self, request) -> bool:
        return request.user.has_perm("enrollments.add_enrollment")


def _each(modeladmin, request, queryset, verb: str, call) -> None:
    ok = 0
    for enrollment in queryset.select_related("partner", "student", "course"):
        try:
            call(enrollment)
            ok += 1
        except (services.EnrollmentError, PartnerError) as exc:
            modeladmin.message_user(request, f"#{enrollment.pk}: {exc}", messages.WARNING)
    if ok:
        modeladmin.message_user(request, f"{verb} {ok} enrollment(s).", messages.SUCCESS)


@admin.action(description="Retry provisioning", permissions=["change"], location=ON_LIST_AND_PAGE)
def retry_provisioning(modeladmin, request, queryset):
    _each(
        modeladmin, request, queryset, "Retried", lambda e: services.enrollment_retry(enrollment=e)
    )


@admin.action(description="Sync progress now", permissions=["change"], location=ON_LIST_AND_PAGE)
def sync_now(modeladmin, request, queryset):
    _each(
        modeladmin,
        request,
        queryset,
        "Synced",
        lambda e: services.enrollment_sync_progress(enrollment=e),
    )


@admin.action(
    description="Cancel (releases the voucher)", permissions=["change"], location=ON_LIST_AND_PAGE
)
def cancel(modeladmin, request, queryset):
    _each(
        modeladmin,
        request,
        queryset,
        "Cancelled",
        lambda e: services.enrollment_cancel(enrollment=e, reason=f"by {request.user}"),
    )


@admin.action(
    description="Open the course as the student (launch URL)",
    permissions=["change"],
    location=ON_LIST_AND_PAGE,
)
def open_launch_url(modeladmin, request, queryset):
    if queryset.count() != 1:
        modeladmin.message_user(request, "Choose exactly one enrollment to open.", messages.WARNING)
        return None
    enrollment = queryset.select_related("partner", "student").get()
    try:
        launch = services.enrollment_launch_url(enrollment=enrollment)
    except (services.EnrollmentError, PartnerError) as exc:
        modeladmin.message_user(request, f"#{enrollment.pk}: {exc}", messages.ERROR)
        return None
    return HttpResponseRedirect(launch.url)
