"""Students and cohorts in the admin: the student's page (enrollments, certificates,
e-mails, an Enrol button), importing students in bulk, adding them to cohorts and
enrolling a cohort with a preview of what will happen.

The pages only ask and report: reading a file, previewing and writing are
enrollments/services/students.py, adding to cohorts and enrolling are
enrollments/services/cohorts.py. Permissions: importing needs `add_student` and
`change_student` (a row may update a student); putting students in a cohort needs
`change_cohort` (and `add_cohort` to make a new one); enrolling needs `add_enrollment`,
as the REST API does.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from config.admin import AHEAD, BACK, date_range_filter
from enrollments import admin_actions, admin_enrolment, services
from enrollments.models import Cohort, Enrollment, PartnerAccount, Student, StudentEmail
from enrollments.selectors import cohort_roster_waiting
from enrollments.services.students import (
    StudentImportError,
    student_table_from_text,
    student_table_read,
    student_table_to_text,
    students_import_apply,
    students_import_preview,
)

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
REPORTED_ROWS = 20  # invalid rows listed in the message after a confirm (the preview lists all)
EMAILS_SHOWN = 50


class PartnerAccountInline(admin.TabularInline):
    """The student's accounts with partners, as provisioning found or made them."""

    model = PartnerAccount
    extra = 0
    fields = ["partner", "external_id", "username", "login_url"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


# --- Forms -------------------------------------------------------------------------------


class CohortChoiceForm(forms.Form):
    """A cohort to put students in: one of the list, or a new one by name."""

    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.order_by("name"), required=False, label="Add them to cohort"
    )
    new_cohort = forms.CharField(
        max_length=120,
        required=False,
        label="or a new cohort named",
        help_text="Made when you confirm; a cohort of that name already there is used.",
    )

    def clean(self):
        data = super().clean()
        if data.get("cohort") and data.get("new_cohort", "").strip():
            raise forms.ValidationError("Choose a cohort or name a new one, not both.")
        return data

    def check_permissions(self, user) -> None:
        data = self.cleaned_data
        wants_cohort = data.get("cohort") or data.get("new_cohort", "").strip()
        if wants_cohort and not user.has_perm("enrollments.change_cohort"):
            self.add_error("cohort", "You may not change cohorts.")
        new = data.get("new_cohort", "").strip()
        if (
            new
            and not Cohort.objects.filter(name=new).exists()
            and not user.has_perm("enrollments.add_cohort")
        ):
            self.add_error("new_cohort", "You may not add cohorts.")


class StudentImportForm(CohortChoiceForm):
    file = forms.FileField(
        required=False,
        label="Spreadsheet",
        help_text=(
            "CSV or XLSX (first sheet), at most 2 MiB. Row 1 names the columns: reference, "
            "first name, last name, e-mail and, optionally, phone."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )
    rows = forms.CharField(widget=forms.HiddenInput, required=False)  # the preview's reading

    field_order = ["file", "cohort", "new_cohort"]

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError("The file is over 2 MiB: split it.")
            try:
                data["table"] = student_table_read(name=upload.name, content=upload.read())
            except StudentImportError as exc:
                raise forms.ValidationError(str(exc)) from exc
        elif data.get("rows"):
            data["table"] = student_table_from_text(data["rows"])
        else:
            raise forms.ValidationError("Choose a file to import.")
        return data


class PastedStudentsForm(forms.Form):
    names = forms.CharField(
        label="E-mails or student references",
        widget=forms.Textarea(attrs={"rows": 12, "cols": 60}),
        help_text="One a line, or separated by commas. Students not found are listed after.",
    )


# --- Students ----------------------------------------------------------------------------


@admin.action(description="Add selected students to a cohort…", permissions=["cohort_change"])
def add_to_cohort(modeladmin, request, queryset):
    form = CohortChoiceForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        form.check_permissions(request.user)
    if form.is_bound and form.is_valid():
        try:
            result = services.cohort_add(
                cohort=form.cleaned_data["cohort"],
                students=list(queryset),
                new_name=form.cleaned_data["new_cohort"],
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _cohort_add_message(result))
            cohort_url = reverse("admin:enrollments_cohort_change", args=[result.cohort.pk])
            return HttpResponseRedirect(cohort_url)
    return TemplateResponse(
        request,
        "admin/enrollments/student/add_to_cohort.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Add students to a cohort",
            "opts": modeladmin.model._meta,
            "form": form,
            "students": list(queryset[:200]),
            "count": queryset.count(),
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        },
    )


def _cohort_add_message(result) -> str:
    text = f"{len(result.added)} student(s) added to {result.cohort}"
    if result.already_in:
        text += f"; {len(result.already_in)} already in it"
    return text + "."


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
    list_filter = [
        "cohorts",
        ("enrollments__partner", admin.RelatedOnlyFieldListFilter),
        date_range_filter("created_at", "added"),
    ]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PartnerAccountInline]
    actions = [admin_enrolment.enroll_students, add_to_cohort]
    change_form_template = "admin/enrollments/student/change_form.html"
    change_list_template = "admin/enrollments/student/change_list.html"

    def has_cohort_change_permission(self, request) -> bool:
        return request.user.has_perm("enrollments.change_cohort")

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(enrollment_count=Count("enrollments"))

    @admin.display(description="enrollments", ordering="enrollment_count")
    def enrollment_count(self, obj: Student) -> int:
        return obj.enrollment_count

    def get_urls(self):
        site = self.admin_site
        return [
            path("import/", site.admin_view(self.import_view), name="enrollments_student_import"),
            path(
                "<int:object_id>/enrol/",
                site.admin_view(self.enrol_view),
                name="enrollments_student_enrol",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context.update(student_record(obj))
            context["can_enrol"] = self.has_enroll_permission(request)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def enrol_view(self, request, object_id):
        """The Enrol button: the enrolment page for this one student."""
        if not self.has_enroll_permission(request):
            raise PermissionDenied
        student = get_object_or_404(Student, pk=object_id)

        def run(data):
            return services.students_enroll(
                students=[student],
                course=data["course"],
                funding_source=data["funding_source"],
                promo_code=data["promo_code"],
            )

        return admin_enrolment.enrol_page(
            self,
            request,
            students=[student],
            title=f"Enrol {student.full_name} in a course",
            run=run,
            done_url=reverse("admin:enrollments_student_change", args=[student.pk]),
        )

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        preview = None
        if request.method == "POST":
            form = StudentImportForm(request.POST, request.FILES)
            if form.is_valid():
                form.check_permissions(request.user)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    if "confirm" in request.POST:
                        result = students_import_apply(
                            table=data["table"],
                            cohort=data["cohort"],
                            new_cohort=data["new_cohort"],
                        )
                        return self._imported(request, result)
                    preview = students_import_preview(table=data["table"], cohort=data["cohort"])
                except StudentImportError as exc:
                    form.add_error(None, str(exc))
                else:
                    # The preview page carries what it read (an XLSX too) back as text.
                    carried = request.POST.copy()
                    carried["rows"] = student_table_to_text(data["table"])
                    form = StudentImportForm(carried)
                    form.is_valid()
        else:
            form = StudentImportForm(initial={"cohort": request.GET.get("cohort")})
        new_cohort = form.cleaned_data.get("new_cohort", "").strip() if preview else ""
        return TemplateResponse(
            request,
            "admin/enrollments/student/import.html",
            {
                **self.admin_site.each_context(request),
                "title": "Import students",
                "opts": self.model._meta,
                "form": form,
                "preview": preview,
                "new_cohort": new_cohort,
                "preview_cohort_exists": bool(new_cohort)
                and Cohort.objects.filter(name=new_cohort).exists(),
            },
        )

    def _imported(self, request, result):
        text = (
            f"Imported {len(result.rows)} row(s): {len(result.created)} student(s) created, "
            f"{len(result.updated)} updated, {len(result.unchanged)} unchanged"
        )
        if result.cohort is not None:
            text += f"; all {len(result.valid)} are in the cohort {result.cohort}"
        messages.success(request, text + ".")
        if result.invalid:
            listed = "; ".join(f"row {r.line}: {r.reason}" for r in result.invalid[:REPORTED_ROWS])
            more = len(result.invalid) - REPORTED_ROWS
            messages.warning(
                request,
                f"{len(result.invalid)} row(s) not imported: {listed}"
                + (f"; and {more} more" if more > 0 else "")
                + ". Fix them in the file and import it again.",
            )
        if result.cohort is not None:
            return HttpResponseRedirect(
                reverse("admin:enrollments_cohort_change", args=[result.cohort.pk])
            )
        return HttpResponseRedirect(reverse("admin:enrollments_student_changelist"))


def student_record(student: Student) -> dict:
    """What the student's page shows besides the form: enrollments with their
    certificates, and e-mails sent; a fixed number of queries."""
    enrollments = list(
        Enrollment.objects.filter(student=student)
        .select_related("course", "partner", "cohort", "certificate")
        .order_by("-requested_at", "-pk")
    )
    certificates = [e.certificate for e in enrollments if _certificate(e) is not None]
    emails = list(
        StudentEmail.objects.filter(enrollment__student=student)
        .select_related("enrollment__course")
        .order_by("-sent_at")[: EMAILS_SHOWN + 1]
    )
    return {
        "record_enrollments": enrollments,
        "record_certificates": certificates,
        "record_emails": emails[:EMAILS_SHOWN],
        "record_more_emails": len(emails) > EMAILS_SHOWN,
        "record_cohorts": list(student.cohorts.order_by("name")),
    }


def _certificate(enrollment: Enrollment):
    try:
        return enrollment.certificate
    except Enrollment.certificate.RelatedObjectDoesNotExist:
        return None


# --- Cohorts -----------------------------------------------------------------------------


@admin.register(Cohort)
class CohortAdmin(admin_actions.EnrolPermissionMixin, admin.ModelAdmin):
    list_display = ["name", "partner", "group_code", "starts_on", "ends_on", "student_count"]
    list_filter = ["partner", date_range_filter("starts_on", "starts", ranges=BACK + AHEAD)]
    list_select_related = ["partner"]
    search_fields = ["name", "group_code"]
    autocomplete_fields = ["partner", "students"]
    actions = [admin_enrolment.enroll_cohorts]
    change_form_template = "admin/enrollments/cohort/change_form.html"

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(student_count=Count("students", distinct=True))
        )

    @admin.display(description="students", ordering="student_count")
    def student_count(self, obj: Cohort) -> int:
        return obj.student_count

    def get_urls(self):
        site = self.admin_site
        return [
            path(
                "<int:object_id>/enrol/",
                site.admin_view(self.enrol_view),
                name="enrollments_cohort_enrol",
            ),
            path(
                "<int:object_id>/add-students/",
                site.admin_view(self.add_students_view),
                name="enrollments_cohort_add_students",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["can_enrol"] = self.has_enroll_permission(request)
            context["can_add_students"] = self.has_change_permission(request, obj)
            context["enrol_form"] = admin_actions.EnrollInCourseForm()
            context["member_count"] = obj.students.count()
            if request.user.has_perm("enrollments.change_enrollment"):
                context["roster_waiting"] = cohort_roster_waiting(obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def enrol_view(self, request, object_id):
        """Enrol this cohort: the course chosen on the cohort's page, the preview, the
        confirm."""
        if not self.has_enroll_permission(request):
            raise PermissionDenied
        cohort = get_object_or_404(Cohort.objects.select_related("partner"), pk=object_id)
        students = list(cohort.students.all())

        def run(data):
            return services.cohort_enroll(
                cohort=cohort,
                course=data["course"],
                funding_source=data["funding_source"],
                promo_code=data["promo_code"],
            )

        return admin_enrolment.enrol_page(
            self,
            request,
            students=students,
            title=f"Enrol {cohort} in a course",
            run=run,
            cohort=cohort,
            done_url=reverse("admin:enrollments_cohort_change", args=[cohort.pk]),
        )

    def add_students_view(self, request, object_id):
        cohort = get_object_or_404(Cohort, pk=object_id)
        if not self.has_change_permission(request, cohort):
            raise PermissionDenied
        form = PastedStudentsForm(request.POST or None)
        if form.is_valid():
            try:
                names = form.cleaned_data["names"]
                result = services.cohort_add_students(cohort=cohort, text=names)
            except ValueError as exc:
                form.add_error("names", str(exc))
            else:
                self._added(request, result)
                return HttpResponseRedirect(
                    reverse("admin:enrollments_cohort_change", args=[cohort.pk])
                )
        return TemplateResponse(
            request,
            "admin/enrollments/cohort/add_students.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Add students to {cohort}",
                "opts": self.model._meta,
                "original": cohort,
                "form": form,
            },
        )

    def _added(self, request, result) -> None:
        missed = [*result.not_found, *result.ambiguous]
        text = _cohort_add_message(result)
        if result.not_found:
            text += f" Not found ({len(result.not_found)}): {', '.join(result.not_found)}."
        if result.ambiguous:
            text += (
                f" Shared by several students, so not added ({len(result.ambiguous)}): "
                f"{', '.join(result.ambiguous)}: use their references."
            )
        self.message_user(request, text, messages.WARNING if missed else messages.SUCCESS)
