"""Enrolling several students at once from the admin: a selection of students, the
selected cohorts, or one cohort from its page.

One page for all three: choose a course, see what will happen (`enrolment_preview`:
already enrolled, vouchers short and who goes without, the partner's mode, missing
configuration), confirm; then ONE summary message, the failures grouped by reason with a
link to each student and to the enrollments made. The work is the services' (
`students_enroll`, `cohort_enroll`); this module only asks and reports.

Permissions as every enrolment path: `enrollments.add_enrollment` (the action's
`permissions=["enroll"]`, and the cohort page checks it), as POST /api/v1/enrollments/.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from enrollments import services
from enrollments.admin_actions import EnrollInCourseForm

NAMES_LISTED = 10  # students named per reason in the summary; the rest are counted


def enrol_page(
    modeladmin, request, *, students, title: str, run, cohort=None, hidden=None, done_url=None
):
    """The page: the form, the preview once a course is chosen, and the confirm (a POST
    with `apply`) that calls `run(cleaned_data)` and reports once."""
    data = request.POST if request.method == "POST" else request.GET
    form = EnrollInCourseForm(data if "course" in data else None)
    preview = None
    if form.is_bound and form.is_valid():
        course = form.cleaned_data["course"]
        if request.method == "POST" and "apply" in request.POST:
            results = run(form.cleaned_data)
            message_summary(modeladmin, request, course=course, results=results)
            return HttpResponseRedirect(done_url or request.get_full_path())
        preview = services.enrolment_preview(course=course, students=students, cohort=cohort)
    opts = modeladmin.model._meta
    changelist_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return TemplateResponse(
        request,
        "admin/enrollments/enrol.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "preview": preview,
            "students": students,
            "cohort": cohort,
            "hidden": hidden or [],
            "opts": opts,
            "changelist_url": changelist_url,
            "cancel_url": done_url or changelist_url,
        },
    )


def message_summary(modeladmin, request, *, course, results) -> None:
    """One message for the whole run: how many were enrolled (linked to them), then each
    reason for the others with the students it stopped (linked to their pages)."""
    done = [r.enrollment.pk for r in results if r.enrollment]
    failed: dict[str, list] = {}
    for r in results:
        if r.error:
            failed.setdefault(r.reason or r.error, []).append(r)
    parts = []
    if done:
        url = (
            reverse("admin:enrollments_enrollment_changelist")
            + "?id__in="
            + ",".join(map(str, done))
        )
        parts.append(
            format_html(
                '<a href="{}">{} of {} student(s) enrolled in {}</a>.',
                url,
                len(done),
                len(results),
                course,
            )
        )
    else:
        parts.append(format_html("No student enrolled in {}.", course))
    for reason, rows in failed.items():
        links = format_html_join(
            ", ",
            '<a href="{}" title="{}">{}</a>',
            (
                (
                    reverse("admin:enrollments_student_change", args=[r.student.pk]),
                    r.error,
                    r.student.full_name,
                )
                for r in rows[:NAMES_LISTED]
            ),
        )
        more = len(rows) - NAMES_LISTED
        if more > 0:
            everyone = (
                reverse("admin:enrollments_student_changelist")
                + "?id__in="
                + ",".join(str(r.student.pk) for r in rows)
            )
            links = format_html('{} and <a href="{}">{} more</a>', links, everyone, more)
        parts.append(format_html("Not enrolled, {} ({}): {}.", reason, len(rows), links))
        if reason == services.cohorts.NO_VOUCHER:
            parts.append(
                format_html(
                    '<a href="{}">Add stock</a>, then enrol them again.',
                    reverse("admin:enrollments_voucher_stock"),
                )
            )
    level = messages.WARNING if failed and done else messages.ERROR if failed else messages.SUCCESS
    modeladmin.message_user(request, mark_safe(" ".join(parts)), level)


def _action_fields(request) -> list[tuple[str, str]]:
    """The action and the selection, posted back by the page so the same action (and its
    permission check) runs the confirm."""
    selected = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
    return [("action", request.POST.get("action", ""))] + [
        (admin.helpers.ACTION_CHECKBOX_NAME, pk) for pk in selected
    ]


@admin.action(description="Enrol selected students in a course…", permissions=["enroll"])
def enroll_students(modeladmin, request, queryset):
    students = list(queryset)

    def run(data):
        return services.students_enroll(
            students=students,
            course=data["course"],
            funding_source=data["funding_source"],
            promo_code=data["promo_code"],
        )

    return enrol_page(
        modeladmin,
        request,
        students=students,
        title=f"Enrol {len(students)} student(s) in a course",
        run=run,
        hidden=_action_fields(request),
    )


@admin.action(description="Enrol the selected cohort(s) in a course…", permissions=["enroll"])
def enroll_cohorts(modeladmin, request, queryset):
    cohorts = list(queryset.prefetch_related("students"))
    students = list({s.pk: s for c in cohorts for s in c.students.all()}.values())

    def run(data):
        results = []
        for cohort in cohorts:
            results += services.cohort_enroll(
                cohort=cohort,
                course=data["course"],
                funding_source=data["funding_source"],
                promo_code=data["promo_code"],
            )
        return results

    return enrol_page(
        modeladmin,
        request,
        students=students,
        title="Enrol " + ", ".join(c.name for c in cohorts) + " in a course",
        run=run,
        cohort=cohorts[0] if len(cohorts) == 1 else None,
        hidden=_action_fields(request),
    )
