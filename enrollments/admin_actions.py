"""Admin actions: thin wrappers that call services and say what happened.

Each action asks for the model permission the REST API asks for the same operation
(enrollments/api/views.py): creating enrollments needs `enrollments.add_enrollment`,
acting on one (launch, sync, cancel, retry) needs `enrollments.change_enrollment`.
The admin then neither offers an action to staff without it nor runs a forged POST of
it (Django answers "No action selected." and calls nothing); the intermediate enrol
page posts back through the same action, so it is held by the same check.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

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


def _enroll_page(modeladmin, request, queryset, *, title: str, run):
    """The intermediate page: choose a course, then enrol and report per student."""
    if "apply" in request.POST:
        form = EnrollInCourseForm(request.POST)
        if form.is_valid():
            results = run(form.cleaned_data)
            done = [r for r in results if r.enrollment]
            for r in results:
                if r.error:
                    modeladmin.message_user(request, f"{r.student}: {r.error}", messages.WARNING)
            course = form.cleaned_data["course"]
            modeladmin.message_user(
                request,
                f"{len(done)} of {len(results)} student(s) enrolled in {course}.",
                messages.SUCCESS if done else messages.WARNING,
            )
            return HttpResponseRedirect(request.get_full_path())
    else:
        form = EnrollInCourseForm()
    return TemplateResponse(
        request,
        "admin/enrollments/enroll_in_course.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "queryset": queryset,
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "opts": modeladmin.model._meta,
        },
    )


@admin.action(description="Enrol selected students in a course…", permissions=["enroll"])
def enroll_students(modeladmin, request, queryset):
    def run(data):
        results = []
        for student in queryset.order_by("last_name", "first_name"):
            try:
                enrollment = services.enrollment_create(
                    student=student,
                    course=data["course"],
                    funding_source=data["funding_source"],
                    promo_code=data["promo_code"],
                )
                results.append(services.StudentResult(student=student, enrollment=enrollment))
            except services.EnrollmentError as exc:
                results.append(services.StudentResult(student=student, error=str(exc)))
        return results

    return _enroll_page(modeladmin, request, queryset, title="Enrol students in a course", run=run)


@admin.action(description="Enrol the selected cohort(s) in a course…", permissions=["enroll"])
def enroll_cohorts(modeladmin, request, queryset):
    def run(data):
        results = []
        for cohort in queryset:
            results += services.cohort_enroll(
                cohort=cohort, course=data["course"], funding_source=data["funding_source"]
            )
        return results

    return _enroll_page(modeladmin, request, queryset, title="Enrol cohorts in a course", run=run)


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
