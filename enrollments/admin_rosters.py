"""Roster exports in the admin: the batches, the "Export roster" page and downloads.

A batch is a record: it is made only by exporting (enrollments/services/rosters.py) and
never changed or deleted here. Exporting changes enrollments' status, so the export page
needs `enrollments.change_enrollment`, the permission the API's writes on an enrollment
ask for; staff without it see no button and a POST is refused. Downloading a batch's file
again needs to be able to view batches; the file is served through the admin (with that
check), never from a public media URL.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from enrollments.models import Cohort, RosterExport
from enrollments.models.files import FileFormat
from enrollments.selectors import enrollments_to_export
from enrollments.services.errors import EnrollmentError
from enrollments.services.rosters import (
    CONTENT_TYPES,
    roster_download_name,
    roster_export,
    roster_export_check,
)
from partners.config import PartnerConfigurationError, effective_mode
from partners.models import Partner
from partners.modes import ConnectionMode
from partners.rosters import roster_layout

EXPORT_PERMISSION = "enrollments.change_enrollment"
PREVIEW_ROWS = 50  # enrollments listed on the confirm page


def roster_partners():
    """Active partners in roster mode now (a partner with a bad <SLUG>_MODE is not)."""
    chosen = []
    for partner in Partner.objects.filter(active=True).order_by("name"):
        try:
            if effective_mode(partner) == ConnectionMode.ROSTER:
                chosen.append(partner.pk)
        except PartnerConfigurationError:
            continue
    return Partner.objects.filter(pk__in=chosen).order_by("name")


class RosterExportForm(forms.Form):
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(),
        empty_label=None,
        help_text="Only partners in roster mode are listed.",
    )
    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.select_related("partner").order_by("name"),
        required=False,
        help_text="Empty: all of the partner's enrollments waiting for a roster.",
    )
    format = forms.ChoiceField(choices=FileFormat.choices, initial=FileFormat.CSV)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = roster_partners()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            roster_export_check(
                partner=data["partner"], cohort=data.get("cohort"), format=data["format"]
            )
        except (EnrollmentError, PartnerConfigurationError) as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(RosterExport)
class RosterExportAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "partner",
        "cohort",
        "row_count",
        "format",
        "exported_by",
        "created_at",
        "download",
    ]
    list_filter = ["partner", "format", "created_at"]
    list_select_related = ["partner", "cohort", "exported_by"]
    search_fields = ["=id", "=enrollments__id", "enrollments__student__external_ref"]
    date_hierarchy = "created_at"
    fields = [
        "partner",
        "cohort",
        "format",
        "row_count",
        "exported_by",
        "created_at",
        "download",
        "enrollment_list",
    ]
    readonly_fields = fields
    change_list_template = "admin/enrollments/rosterexport/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # made by exporting (the "Export roster" page, manage.py export_roster)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what was sent

    def changelist_view(self, request, extra_context=None):
        extra = {"can_export": request.user.has_perm(EXPORT_PERMISSION), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def get_urls(self):
        site = self.admin_site
        return [
            path(
                "export/",
                site.admin_view(self.export_view),
                name="enrollments_rosterexport_export",
            ),
            path(
                "<int:object_id>/download/",
                site.admin_view(self.download_view),
                name="enrollments_rosterexport_download",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="file")
    def download(self, obj: RosterExport) -> str:
        if not obj.pk or not obj.file:
            return "-"
        url = reverse("admin:enrollments_rosterexport_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, roster_download_name(obj))

    @admin.display(description="enrollments in this file")
    def enrollment_list(self, obj: RosterExport) -> str:
        rows = obj.enrollments.select_related("student", "course").order_by("pk")
        items = format_html_join(
            "",
            '<tr><td><a href="{}">#{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:enrollments_enrollment_change", args=[e.pk]),
                    e.pk,
                    e.student,
                    e.course.code,
                    e.get_status_display(),
                )
                for e in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>Enrollment</th><th>Student</th><th>Course</th>"
            "<th>Status now</th></tr></thead><tbody>{}</tbody></table>",
            items,
        )

    def download_view(self, request, object_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(RosterExport, pk=object_id)
        if not batch.file or not batch.file.storage.exists(batch.file.name):
            raise Http404(f"The file of roster batch {batch.pk} is no longer in the storage.")
        return FileResponse(
            batch.file.open("rb"),
            as_attachment=True,
            filename=roster_download_name(batch),
            content_type=CONTENT_TYPES.get(batch.format, "application/octet-stream"),
        )

    def export_view(self, request):
        if not request.user.has_perm(EXPORT_PERMISSION):
            raise PermissionDenied
        preview = None
        if request.method == "POST":
            form = RosterExportForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                if "confirm" in request.POST:
                    try:
                        batch = roster_export(
                            partner=data["partner"],
                            cohort=data["cohort"],
                            format=data["format"],
                            exported_by_id=request.user.pk,
                        )
                    except (EnrollmentError, PartnerConfigurationError) as exc:
                        form.add_error(None, str(exc))
                    else:
                        messages.success(
                            request,
                            f"Roster batch {batch.pk}: {batch.row_count} enrollment(s) of "
                            f"{batch.partner.name} are now submitted. Download the file below "
                            "and send it to the partner.",
                        )
                        return HttpResponseRedirect(
                            reverse("admin:enrollments_rosterexport_change", args=[batch.pk])
                        )
                elif "edit" not in request.POST:
                    preview = self._preview(data)
        else:
            form = RosterExportForm(initial=request.GET.dict())
        return TemplateResponse(
            request,
            "admin/enrollments/rosterexport/export.html",
            {
                **self.admin_site.each_context(request),
                "title": "Export a roster",
                "opts": self.model._meta,
                "form": form,
                "preview": preview,
            },
        )

    def _preview(self, data) -> dict:
        waiting = enrollments_to_export(partner=data["partner"], cohort=data["cohort"])
        return {
            "count": waiting.count(),
            "enrollments": list(waiting.select_related("student", "course")[:PREVIEW_ROWS]),
            "layout": roster_layout(data["partner"].slug),
            "partner": data["partner"],
            "cohort": data["cohort"],
        }
