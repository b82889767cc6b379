"""Result imports in the admin: the imports, the "Import results" page, the preview of
every row, Apply, and downloads (the file as received, the rows not applied as CSV).

An import is a record: it is made only by importing (enrollments/services/result_imports.py,
also `manage.py import_results`) and never changed or deleted here. Importing and
applying change enrollments, so both need `enrollments.change_enrollment`, the permission
the API's writes on an enrollment ask for; staff without it see no button and a POST is
refused. Seeing an import and downloading its files needs to be able to view imports; the
files are served through the admin (with that check), never from a public media URL.
"""

from __future__ import annotations

import csv
import io
import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from config.admin import RecordAdmin
from enrollments.models import ImportStatus, ResultImport, ResultImportRow, RowOutcome
from enrollments.services.result_imports import (
    max_bytes,
    result_import_apply,
    result_import_headers,
    result_import_preview,
)
from partners.models import Partner
from partners.registry import UnknownPartner
from partners.reports import UnknownMapping, mapping_for, mappings_for
from partners.rosters import spreadsheet_text

IMPORT_PERMISSION = "enrollments.change_enrollment"
ROWS_PER_PAGE = 200
NOT_APPLIED = (RowOutcome.UNMATCHED, RowOutcome.INVALID)


def mapping_choices() -> list:
    """Every active partner's report layouts, grouped by partner ("slug:name")."""
    groups = []
    for partner in Partner.objects.filter(active=True).order_by("name"):
        try:
            found = mappings_for(partner.slug)
        except UnknownPartner:
            continue  # a row for a partner no longer in the registry
        groups.append((partner.name, [(f"{partner.slug}:{m.name}", m.title) for m in found]))
    return groups


class ResultImportForm(forms.Form):
    partner = forms.ModelChoiceField(queryset=Partner.objects.filter(active=True).order_by("name"))
    mapping = forms.ChoiceField(
        label="Report",
        help_text="The partner's report layout (each partner lists its own).",
    )
    file = forms.FileField(help_text="The report as the partner gave it: CSV or XLSX.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mapping"].choices = mapping_choices()
        self.fields["file"].help_text += f" At most {max_bytes() // (1024 * 1024)} MB."

    def clean(self):
        data = super().clean()
        partner, chosen = data.get("partner"), data.get("mapping", "")
        if partner and chosen:
            slug, _, name = chosen.partition(":")
            if slug != partner.slug:
                self.add_error("mapping", f"That report is not one of {partner.name}'s.")
            else:
                try:
                    data["mapping"] = mapping_for(slug, name)
                except UnknownMapping as exc:
                    self.add_error("mapping", str(exc))
        return data


@admin.register(ResultImport)
class ResultImportAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "partner",
        "original_name",
        "mapping",
        "status",
        "counts_shown",
        "imported_by",
        "applied_at",
    ]
    list_filter = ["status", "partner", "created_at"]
    list_select_related = ["partner", "imported_by"]
    search_fields = ["=id", "original_name", "=sha256"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "partner",
        "mapping",
        "original_name",
        "size",
        "sha256",
        "status",
        "error",
        "counts",
        "imported_by",
        "created_at",
        "applied_at",
    ]
    fields = readonly_fields
    change_list_template = "admin/enrollments/resultimport/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # made by importing (the "Import results" page, manage.py import_results)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what was received and what it did

    @admin.display(description="rows")
    def counts_shown(self, obj: ResultImport) -> str:
        if obj.status == ImportStatus.REFUSED:
            return f"refused: {obj.error[:80]}"
        return ", ".join(f"{n} {outcome}" for outcome, n in sorted(obj.counts.items())) or "-"

    def changelist_view(self, request, extra_context=None):
        extra = {"can_import": request.user.has_perm(IMPORT_PERMISSION), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def get_urls(self):
        site = self.admin_site
        return [
            path(
                "upload/", site.admin_view(self.upload_view), name="enrollments_resultimport_upload"
            ),
            path(
                "<int:object_id>/apply/",
                site.admin_view(self.apply_view),
                name="enrollments_resultimport_apply",
            ),
            path(
                "<int:object_id>/file/",
                site.admin_view(self.file_view),
                name="enrollments_resultimport_file",
            ),
            path(
                "<int:object_id>/not-applied.csv",
                site.admin_view(self.not_applied_view),
                name="enrollments_resultimport_not_applied",
            ),
            *super().get_urls(),
        ]

    # --- pages -------------------------------------------------------------------------

    def upload_view(self, request):
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        if request.method == "POST":
            form = ResultImportForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data
                record = result_import_preview(
                    partner=data["partner"],
                    file=data["file"],
                    mapping=data["mapping"],
                    imported_by_id=request.user.pk,
                )
                if record.status == ImportStatus.REFUSED:
                    messages.error(request, f"The file was refused: {record.error}")
                else:
                    messages.info(
                        request, "Preview: nothing has changed yet. Check the rows, then Apply."
                    )
                return HttpResponseRedirect(
                    reverse("admin:enrollments_resultimport_change", args=[record.pk])
                )
        else:
            form = ResultImportForm(initial=request.GET.dict())
        return TemplateResponse(
            request,
            "admin/enrollments/resultimport/upload.html",
            {
                **self.admin_site.each_context(request),
                "title": "Import results",
                "opts": self.model._meta,
                "form": form,
            },
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The import and every row with its outcome, reason and the rule that matched,
        filterable by outcome; Apply while it is a preview."""
        record = get_object_or_404(
            ResultImport.objects.select_related("partner", "imported_by"), pk=object_id
        )
        if not self.has_view_permission(request, record):
            raise PermissionDenied
        rows = record.rows.select_related("enrollment__student", "enrollment__course")
        outcome = request.GET.get("outcome", "")
        if outcome in RowOutcome.values:
            rows = rows.filter(outcome=outcome)
        page = Paginator(rows.order_by("line"), ROWS_PER_PAGE).get_page(request.GET.get("page"))
        headers = result_import_headers(record)
        for row in page:
            named = [h for h in headers if h in row.data]
            row.cells = [
                (h, row.data[h]) for h in [*named, *(k for k in row.data if k not in named)]
            ]
        return TemplateResponse(
            request,
            "admin/enrollments/resultimport/preview.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Result import {record.pk}: {record.original_name}",
                "opts": self.model._meta,
                "original": record,
                "record": record,
                "page": page,
                "outcome": outcome,
                "outcomes": [(o, record.counts.get(o, 0)) for o in RowOutcome.values],
                "not_applied": sum(record.counts.get(o, 0) for o in NOT_APPLIED),
                "can_apply": self._can_apply(request, record),
                **(extra_context or {}),
            },
        )

    def _can_apply(self, request, record: ResultImport) -> bool:
        return (
            record.status == ImportStatus.PREVIEWED
            and record.counts.get(RowOutcome.MATCHED, 0) > 0
            and request.user.has_perm(IMPORT_PERMISSION)
        )

    def apply_view(self, request, object_id: int):
        """GET: what Apply will do; POST: do it (once: a second POST changes nothing)."""
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        record = get_object_or_404(ResultImport.objects.select_related("partner"), pk=object_id)
        change = reverse("admin:enrollments_resultimport_change", args=[record.pk])
        if request.method == "POST":
            if record.status != ImportStatus.PREVIEWED:
                messages.warning(
                    request, f"Import {record.pk} is {record.status}: nothing to apply."
                )
                return HttpResponseRedirect(change)
            record = result_import_apply(record, applied_by_id=request.user.pk)
            counts = ", ".join(f"{n} {o}" for o, n in sorted(record.counts.items()))
            messages.success(request, f"Import {record.pk} applied: {counts}.")
            return HttpResponseRedirect(change)
        return TemplateResponse(
            request,
            "admin/enrollments/resultimport/apply.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Apply result import {record.pk}?",
                "opts": self.model._meta,
                "original": record,
                "record": record,
                "matched": record.counts.get(RowOutcome.MATCHED, 0),
                "can_apply": self._can_apply(request, record),
            },
        )

    def file_view(self, request, object_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = get_object_or_404(ResultImport, pk=object_id)
        if not record.file or not record.file.storage.exists(record.file.name):
            raise Http404(
                f"Import {record.pk} kept no file"
                + (f" (refused: {record.error})" if record.error else "")
            )
        return FileResponse(
            record.file.open("rb"),
            as_attachment=True,
            filename=record.original_name or record.file.name.rsplit("/", 1)[-1],
        )

    def not_applied_view(self, request, object_id: int):
        """The unmatched and invalid rows as CSV (line, outcome, reason, then the row as
        received), to fix and import again."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = get_object_or_404(ResultImport, pk=object_id)
        rows = record.rows.filter(outcome__in=NOT_APPLIED).order_by("line")
        headers = result_import_headers(record)
        for data in rows.values_list("data", flat=True):
            headers.extend(h for h in data if h not in headers)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["Line", "Outcome", "Reason", *headers])
        for row in rows:
            cells = [row.data.get(h, "") for h in headers]
            writer.writerow([row.line, row.outcome, _cell(row.reason), *map(_cell, cells)])
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
        stem = re.sub(r"[^\w.-]+", "_", (record.original_name or "").rsplit(".", 1)[0])
        stem = stem or f"import-{record.pk}"
        response["Content-Disposition"] = f'attachment; filename="{stem}-not-applied.csv"'
        return response


@admin.register(ResultImportRow)
class ResultImportRowAdmin(RecordAdmin):
    """Every imported row on its own: which imports touched an enrollment, and how."""

    list_display = ["result_import", "line", "outcome", "matched_by", "enrollment", "reason"]
    list_filter = ["outcome", "matched_by", "result_import__partner"]
    list_select_related = [
        "result_import__partner",
        "enrollment__student",
        "enrollment__course",
    ]
    search_fields = ["=result_import__id", "=enrollment__id", "=event_id"]
    readonly_fields = [
        "result_import",
        "line",
        "data",
        "outcome",
        "reason",
        "matched_by",
        "enrollment",
        "event_id",
    ]
    fields = readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # kept with its import


def _cell(value) -> str:
    return spreadsheet_text(str(value or ""))
