"""Roster export: a `roster`-mode partner's new enrollments, as its roster file.

`roster_export` takes the partner's (or one cohort's) `requested` enrollments, writes them
in the partner's layout (partners/<slug>/roster.py, else the generic one) as CSV or XLSX,
keeps the file as a `RosterExport` batch (who, when, which enrollments) and marks those
enrollments `submitted`, all in one transaction:

- the rows are locked (select_for_update) and read again under the lock, so an
  enrollment cancelled (or provisioned) meanwhile is left out, and two exports running
  at once never put one enrollment in two batches: the second waits for the first and
  then finds those rows submitted;
- reaching the partner has the effects of any other path (services/transitions.py: the
  "you're enrolled" e-mail, once, after commit);
- nothing to export is an error (RosterNothingToExport) and no empty batch is kept;
- submitted enrollments are never exported again: to send a file again, download its
  batch again (the stored file is kept whole).

The enrollments then wait for the partner's results report, whose rows become IMPORT
events (enrollment_apply_event moves a submitted enrollment on).
"""

from __future__ import annotations

import csv
import io

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from enrollments.models import (
    Cohort,
    Enrollment,
    EnrollmentStatus,
    PartnerAccount,
    RosterExport,
    Voucher,
    VoucherStatus,
)
from enrollments.models.files import FileFormat
from enrollments.selectors import enrollments_to_export
from enrollments.services.errors import EnrollmentError
from enrollments.services.transitions import enrollment_status_changed
from partners.config import effective_mode
from partners.models import Partner
from partners.modes import ConnectionMode
from partners.rosters import RosterLayout, RosterRow, roster_layout, spreadsheet_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {FileFormat.CSV: "text/csv", FileFormat.XLSX: XLSX_TYPE}


class RosterExportError(EnrollmentError):
    """A roster export that cannot be made (wrong mode, a cohort of another partner, an
    unknown format)."""


class RosterNothingToExport(RosterExportError):
    """No requested enrollment waits for a roster file."""


def roster_export_check(*, partner: Partner, cohort: Cohort | None = None, format: str = "csv"):
    """Refuse, with a message staff can act on, an export that cannot be made."""
    if format not in FileFormat.values:
        raise RosterExportError(
            f"{format!r} is not a roster format: use {' or '.join(FileFormat.values)}."
        )
    mode = effective_mode(partner)
    if mode != ConnectionMode.ROSTER:
        raise RosterExportError(
            f"{partner.name} is in {mode} mode, not roster mode: its enrollments are not "
            "sent as a roster file (set Partner.mode or "
            f"{partner.slug.upper()}_MODE=roster to change that)."
        )
    if cohort is not None and cohort.partner_id not in (None, partner.pk):
        raise RosterExportError(f"Cohort {cohort} belongs to {cohort.partner}, not {partner}.")


def roster_export(
    *,
    partner: Partner,
    cohort: Cohort | None = None,
    format: str = FileFormat.CSV,
    exported_by_id: int | None = None,
) -> RosterExport:
    """Export the partner's (or the cohort's) requested enrollments as its roster file and
    mark them submitted (see the module docstring). RosterExportError when the export
    cannot be made, RosterNothingToExport when nothing waits."""
    roster_export_check(partner=partner, cohort=cohort, format=format)
    layout = roster_layout(partner.slug)
    stored: list[RosterExport] = []
    try:
        with transaction.atomic():
            batch = _export_locked(partner, cohort, format, exported_by_id, layout, stored)
    except BaseException:
        # The batch row went with the transaction; its file must not stay behind.
        for kept in stored:
            kept.file.delete(save=False)
        raise
    return batch


def _export_locked(partner, cohort, format, exported_by_id, layout, stored) -> RosterExport:
    enrollments = list(
        enrollments_to_export(partner=partner, cohort=cohort)
        .select_for_update(of=("self",))
        .select_related("student", "course", "cohort")
    )
    if not enrollments:
        scope = f" in cohort {cohort}" if cohort is not None else ""
        raise RosterNothingToExport(
            f"No {partner.name} enrollment{scope} is waiting for a roster file (only "
            "requested ones are exported; download an earlier batch to send it again)."
        )
    rows = _roster_rows(partner, enrollments)
    content = roster_csv(layout, rows) if format == FileFormat.CSV else roster_xlsx(layout, rows)
    now = timezone.now()
    batch = RosterExport(
        partner=partner,
        cohort=cohort,
        format=format,
        row_count=len(rows),
        exported_by_id=exported_by_id,
    )
    batch.file.save(_file_name(partner, cohort, layout, format, now), ContentFile(content))
    stored.append(batch)
    batch.enrollments.add(*enrollments)
    Enrollment.objects.filter(pk__in=[e.pk for e in enrollments]).update(
        status=EnrollmentStatus.SUBMITTED,
        submitted_at=now,
        next_attempt_at=None,
        last_error="",
        updated_at=now,
    )
    for enrollment in enrollments:
        enrollment.status = EnrollmentStatus.SUBMITTED
        enrollment.submitted_at = now
        enrollment_status_changed(enrollment, before=EnrollmentStatus.REQUESTED)
    return batch


def _roster_rows(partner: Partner, enrollments: list[Enrollment]) -> list[RosterRow]:
    students = [e.student_id for e in enrollments]
    accounts = {
        a.student_id: a
        for a in PartnerAccount.objects.filter(partner=partner, student_id__in=students)
    }
    vouchers = dict(
        Voucher.objects.filter(
            enrollment__in=enrollments, status=VoucherStatus.ASSIGNED
        ).values_list("enrollment_id", "code")
    )
    rows = []
    for enrollment in enrollments:
        student, account, cohort = (
            enrollment.student,
            accounts.get(enrollment.student_id),
            enrollment.cohort,
        )
        rows.append(
            RosterRow(
                enrollment_id=enrollment.pk,
                student_ref=student.external_ref,
                first_name=student.first_name,
                last_name=student.last_name,
                email=student.email,
                phone=student.phone,
                course_code=enrollment.course.code,
                course_title=enrollment.course.title,
                requested_at=timezone.localtime(enrollment.requested_at),
                account_id=account.external_id if account else "",
                username=account.username if account else "",
                group_code=cohort.group_code if cohort else "",
                cohort_name=cohort.name if cohort else "",
                voucher_code=vouchers.get(enrollment.pk, ""),
                promo_code=enrollment.promo_code,
                funding_source=enrollment.get_funding_source_display(),
            )
        )
    return rows


def roster_csv(layout: RosterLayout, rows: list[RosterRow]) -> bytes:
    """The roster as CSV: UTF-8 with a byte-order mark (so a spreadsheet opens names with
    accents correctly), the layout's header row, then one row per enrollment."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(layout.headers)
    for row in rows:
        writer.writerow([spreadsheet_text(value) for value in layout.cells(row)])
    return out.getvalue().encode("utf-8-sig")


def roster_xlsx(layout: RosterLayout, rows: list[RosterRow]) -> bytes:
    """The roster as one XLSX worksheet: every cell is text (never a formula, and codes
    such as 00123 keep their zeros)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(layout.sheet_title[:31])
    sheet.append(layout.headers)
    for row in rows:
        cells = []
        for value in layout.cells(row):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _file_name(partner, cohort, layout, format, now) -> str:
    parts = [partner.slug, "roster"]
    if layout.generic:
        parts.append("generic")
    if cohort is not None:
        parts.append(f"cohort{cohort.pk}")
    parts.append(timezone.localtime(now).strftime("%Y%m%d-%H%M%S"))
    return "-".join(parts) + f".{format}"


def roster_download_name(batch: RosterExport) -> str:
    """The name a batch's file is downloaded under (its stored name, without folders)."""
    return batch.file.name.rsplit("/", 1)[-1]
