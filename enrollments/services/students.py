"""Importing students in bulk from a spreadsheet (CSV or XLSX), previewed before anything
is written.

`student_table_read` turns an uploaded file into rows of text (the header row first);
`students_import_preview` reads those rows and says, row by row, what an import would do
(created, updated with the fields that change, unchanged, or invalid with the reason: no
reference, a missing name, a bad e-mail, a reference twice in the file), writing nothing;
`students_import_apply` does it: the valid rows are created or updated through
`student_create` / `student_update` (the same normalisation and checks as the API), and,
when a cohort is given, every valid row's student is added to it. A row that fails as it
is written (someone took the reference meanwhile) is reported as invalid; the others
still take effect. Applying the same rows twice changes nothing the second time.

The student reference is the key: a row whose reference exists updates that student.
Column names are matched loosely ("Student reference", "E-mail", "Last name"...); an
empty phone cell leaves a phone on record as it is.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from enrollments.models import Cohort, Student
from enrollments.services.cohorts import cohort_add
from enrollments.services.enrollment import STUDENT_FIELDS, student_create, student_update
from enrollments.services.result_files import FileRefused, read_table

MAX_ROWS = 5000
COLUMNS = ("external_ref", "first_name", "last_name", "email", "phone")
REQUIRED = ("external_ref", "first_name", "last_name", "email")
# What spreadsheets call the columns, after lower-casing and dropping spaces, _ and -.
ALIASES = {
    "externalref": "external_ref",
    "studentreference": "external_ref",
    "studentref": "external_ref",
    "reference": "external_ref",
    "ref": "external_ref",
    "studentid": "external_ref",
    "studentnumber": "external_ref",
    "firstname": "first_name",
    "givenname": "first_name",
    "forename": "first_name",
    "lastname": "last_name",
    "surname": "last_name",
    "familyname": "last_name",
    "email": "email",
    "emailaddress": "email",
    "phone": "phone",
    "phonenumber": "phone",
    "mobile": "phone",
    "telephone": "phone",
}
LABELS = {
    "external_ref": "reference",
    "first_name": "first name",
    "last_name": "last name",
    "email": "e-mail",
    "phone": "phone",
}


class StudentImportError(Exception):
    """The file as a whole cannot be read (not CSV or XLSX, no header, too many rows)."""


class RowOutcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    INVALID = "invalid"


@dataclass
class StudentRow:
    line: int  # the row's number in the spreadsheet (the header is row 1)
    values: dict[str, str]
    outcome: str = RowOutcome.INVALID
    reason: str = ""  # why it is invalid
    changes: list[str] = field(default_factory=list)  # "e-mail: old → new" when updated
    student: Student | None = None  # the student on record, or the one created

    @property
    def name(self) -> str:
        return f"{self.values.get('first_name', '')} {self.values.get('last_name', '')}".strip()


@dataclass
class StudentImport:
    rows: list[StudentRow]
    ignored_columns: list[str] = field(default_factory=list)
    cohort: Cohort | None = None
    applied: bool = False

    def of(self, outcome: str) -> list[StudentRow]:
        return [r for r in self.rows if r.outcome == outcome]

    @property
    def created(self) -> list[StudentRow]:
        return self.of(RowOutcome.CREATED)

    @property
    def updated(self) -> list[StudentRow]:
        return self.of(RowOutcome.UPDATED)

    @property
    def unchanged(self) -> list[StudentRow]:
        return self.of(RowOutcome.UNCHANGED)

    @property
    def invalid(self) -> list[StudentRow]:
        return self.of(RowOutcome.INVALID)

    @property
    def valid(self) -> list[StudentRow]:
        return [r for r in self.rows if r.outcome != RowOutcome.INVALID]


# --- Reading the file --------------------------------------------------------------------


def student_table_read(*, name: str, content: bytes) -> list[list[str]]:
    """The rows of an uploaded CSV or XLSX file (first sheet) as text, header first, read
    like a partner's result report (services/result_files.py: encodings, separators,
    files that are not tables refused by their first bytes). Blank rows are skipped."""
    table = []
    try:
        for _, cells in read_table(io.BytesIO(content)).rows:
            table.append(cells)
            if len(table) > MAX_ROWS + 1:
                break
    except FileRefused as exc:
        raise StudentImportError(f"{name} cannot be read. {exc}") from None
    return table


def student_table_from_text(text: str) -> list[list[str]]:
    """Rows of CSV text; the separator (comma, semicolon or tab) is taken from the header."""
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def student_table_to_text(table: list[list[str]]) -> str:
    """CSV text of rows, so a preview page can carry what it read to the confirm."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    return out.getvalue()


# --- Preview and apply -------------------------------------------------------------------


def students_import_preview(
    *, table: list[list[str]], cohort: Cohort | None = None
) -> StudentImport:
    """What importing `table` (header row first) would do, row by row; writes nothing.
    Raises StudentImportError when the table as a whole cannot be read."""
    rows = [(n, row) for n, row in enumerate(table, start=1) if any(c.strip() for c in row)]
    if not rows:
        raise StudentImportError("The file is empty.")
    header_line, header = rows.pop(0)
    columns = [ALIASES.get(re.sub(r"[\s_\-]+", "", c.strip().lower())) for c in header]
    missing = [LABELS[c] for c in REQUIRED if c not in columns]
    if missing:
        raise StudentImportError(
            f"Row {header_line} must name the columns; {', '.join(missing)} not found "
            f"(found: {', '.join(c.strip() for c in header if c.strip()) or 'nothing'}). "
            "The columns are: reference, first name, last name, e-mail and, optionally, phone."
        )
    twice = sorted({c for c in columns if c and columns.count(c) > 1})
    if twice:
        raise StudentImportError(f"The column {LABELS[twice[0]]} is named twice.")
    if len(rows) > MAX_ROWS:
        raise StudentImportError(f"{len(rows)} rows: import at most {MAX_ROWS} at a time.")
    ignored = [h.strip() for h, c in zip(header, columns, strict=False) if c is None and h.strip()]

    result = StudentImport(
        rows=[
            StudentRow(
                line=n,
                values={
                    c: cell.strip() for c, cell in zip(columns, row, strict=False) if c is not None
                },
            )
            for n, row in rows
        ],
        ignored_columns=ignored,
        cohort=cohort,
    )
    refs = [r.values.get("external_ref", "") for r in result.rows]
    on_record = Student.objects.in_bulk([ref for ref in refs if ref], field_name="external_ref")
    seen: dict[str, int] = {}
    for row in result.rows:
        row.reason = _problem(row.values)
        ref = row.values.get("external_ref", "")
        if not row.reason and ref in seen:
            row.reason = f"the reference {ref} is on row {seen[ref]} too"
        if row.reason:
            continue
        seen[ref] = row.line
        row.student = on_record.get(ref)
        if row.student is None:
            row.outcome = RowOutcome.CREATED
            continue
        row.changes = [
            f"{LABELS[name]}: {getattr(row.student, name) or '(none)'} → {value}"
            for name, value in _changed(row.student, row.values).items()
        ]
        row.outcome = RowOutcome.UPDATED if row.changes else RowOutcome.UNCHANGED
    return result


def students_import_apply(
    *, table: list[list[str]], cohort: Cohort | None = None, new_cohort: str = ""
) -> StudentImport:
    """Import `table` as `students_import_preview` describes it and, with `cohort` (or
    `new_cohort`, the name of a cohort made for them if none has it), add every valid
    row's student to it. Returns the outcome of each row."""
    with transaction.atomic():
        result = students_import_preview(table=table, cohort=cohort)
        for row in result.valid:
            try:
                with transaction.atomic():
                    if row.outcome == RowOutcome.CREATED:
                        row.student = student_create(
                            **{name: row.values.get(name, "") for name in COLUMNS}
                        )
                    elif row.outcome == RowOutcome.UPDATED:
                        student_update(student=row.student, **_changed(row.student, row.values))
            except ValidationError as exc:
                row.outcome = RowOutcome.INVALID
                row.reason = "; ".join(exc.messages)
                row.student = None
        if cohort is not None or new_cohort.strip():
            result.cohort = cohort_add(
                cohort=cohort, students=[r.student for r in result.valid], new_name=new_cohort
            ).cohort
        result.applied = True
    return result


def _problem(values: dict[str, str]) -> str:
    """Why a row cannot be imported, or ""."""
    ref = values.get("external_ref", "")
    if not ref:
        return "no student reference"
    missing = [LABELS[n] for n in ("first_name", "last_name") if not values.get(n)]
    if missing:
        return f"missing {' and '.join(missing)}"
    email = values.get("email", "")
    if not email:
        return "no e-mail"
    try:
        validate_email(email)
    except ValidationError:
        return f"bad e-mail {email!r}"
    for name in COLUMNS:
        limit = Student._meta.get_field(name).max_length
        if len(values.get(name, "")) > limit:
            return f"the {LABELS[name]} is longer than {limit} characters"
    return ""


def _changed(student: Student, values: dict[str, str]) -> dict[str, str]:
    """The fields the row would change, normalised as student_update stores them."""
    changes = {}
    for name in STUDENT_FIELDS:
        value = values.get(name, "")
        if name == "phone" and not value:
            continue  # an empty phone cell keeps the phone on record
        if name == "email":
            value = value.lower()
        if value != getattr(student, name):
            changes[name] = value
    return changes
