"""The Certificate changelist looking ahead: an "Expires" filter (next 30, 60 or 90 days,
already expired, no expiry) and a CSV or XLSX export of the list as filtered.

The export is a link on the changelist, not an action: it carries the list's own query
string (filters, search, ordering) and needs only `enrollments.view_certificate`, so
view-only staff can take the list they can already read, and they are offered no action.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import path
from django.utils import timezone

from enrollments.models import Certificate
from partners.rosters import spreadsheet_text

EXPORT_COLUMNS = [
    "student ref",
    "name",
    "e-mail",
    "partner",
    "course",
    "number",
    "issued",
    "expires",
    "verification URL",
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExpiresFilter(admin.SimpleListFilter):
    """When certificates expire, looking ahead (the date filter only looks back)."""

    title = "expires"
    parameter_name = "expires"
    AHEAD = {"next30": 30, "next60": 60, "next90": 90}

    def lookups(self, request, model_admin):
        return [
            ("next30", "In the next 30 days"),
            ("next60", "In the next 60 days"),
            ("next90", "In the next 90 days"),
            ("expired", "Already expired"),
            ("none", "No expiry"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        value = self.value()
        if value in self.AHEAD:
            horizon = now + timedelta(days=self.AHEAD[value])
            return queryset.filter(expires_at__gt=now, expires_at__lte=horizon)
        if value == "expired":
            return queryset.filter(expires_at__lte=now)
        if value == "none":
            return queryset.filter(Q(expires_at__isnull=True))
        return queryset


class CertificateExportMixin:
    """For CertificateAdmin: the export links on the changelist and their two views."""

    change_list_template = "admin/enrollments/certificate/change_list.html"

    def get_urls(self):
        def view(fmt):
            return self.admin_site.admin_view(lambda request: self.export_view(request, fmt))

        return [
            path("export/csv/", view("csv"), name="enrollments_certificate_export_csv"),
            path("export/xlsx/", view("xlsx"), name="enrollments_certificate_export_xlsx"),
            *super().get_urls(),
        ]

    def export_view(self, request, fmt: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The changelist's own queryset: the filters, search and ordering in the URL.
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("Unknown filter in the export's address.")
        certificates = changelist.get_queryset(request).select_related(
            "enrollment__student", "enrollment__course", "enrollment__partner"
        )
        rows = [certificate_export_row(c) for c in certificates.iterator(chunk_size=2000)]
        stamp = timezone.localdate().isoformat()
        if fmt == "xlsx":
            response = HttpResponse(certificates_xlsx(rows), content_type=XLSX_TYPE)
        else:
            response = HttpResponse(certificates_csv(rows), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="certificates-{stamp}.{fmt}"'
        return response


def certificate_export_row(certificate: Certificate) -> list:
    enrollment = certificate.enrollment
    student = enrollment.student
    return [
        student.external_ref,
        f"{student.first_name} {student.last_name}".strip(),
        student.email,
        enrollment.partner.name,
        enrollment.course.code,
        certificate.number,
        timezone.localdate(certificate.issued_at),
        timezone.localdate(certificate.expires_at) if certificate.expires_at else None,
        certificate.verification_url,
    ]


def certificates_csv(rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                spreadsheet_text(v) if isinstance(v, str) else (v.isoformat() if v else "")
                for v in row
            ]
        )
    return out.getvalue()


def certificates_xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Certificates")
    sheet.append(EXPORT_COLUMNS)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text: never a formula
            elif value is not None:
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
