"""Result imports: a partner's report (gradebook, exam results, card report) read with one
of its mappings (partners/<slug>/reports.py), previewed row by row, then applied.

- The preview (`result_import_preview`) keeps the file and reads every row, finds its
  enrollment and works out, by the write path's own rules (`enrollment_event_preview`),
  what it would change: `matched` (it would change the enrollment), `unchanged` (nothing
  new, or applied before), `unmatched` (no enrollment found: the reason says what was
  looked for), `invalid` (the row cannot be read: the reason says which value), or
  `ignored` (a second copy of a row earlier in the file). Nothing else is written.
- Applying (`result_import_apply`) turns each matched row into an IMPORT `PartnerEvent`
  and hands it to `enrollment_apply_event`, the one write path: completions,
  certificates and their e-mails happen exactly as for a webhook. Rows are applied in
  transactions of APPLY_BATCH rows: a batch's events and its rows' outcomes commit
  together (its e-mails go after that commit). Should a row fail, its batch is rolled
  back and applied again with a savepoint per row, so that row is recorded with its
  reason and the rest go on.
- The event id comes from the partner, the enrollment and what the row says, so the same
  row applied again (a second apply, the same file imported again, the same result in
  next week's report) is a no-op of the write path and shows as `unchanged`.
- A file that cannot be read at all (not CSV or XLSX, empty, over
  RESULT_IMPORT_MAX_BYTES, columns missing) is kept as a `refused` import with the
  reason; no row is read.

Matching, in order (recorded on the row as `matched_by`): the partner's account id
(PartnerAccount.external_id), then the student's e-mail, then first and last name with
the course. When the report names a course, only an enrollment in that course matches.
Of a student's enrollments an open one (requested, submitted, active) wins, else the
newest completed or failed one (so a report read again finds what it completed); a
cancelled enrollment is never matched. Where several open ones remain (no course named,
or two students sharing an e-mail), the one in the cohort of the row's group code wins,
else the row is unmatched as ambiguous. Everything a file needs is read in a few queries
for the whole file, never per row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import IO

from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from enrollments.models import (
    Certificate,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    ImportStatus,
    PartnerAccount,
    ResultImport,
    ResultImportRow,
    RowOutcome,
    Student,
)
from enrollments.services.errors import EnrollmentError
from enrollments.services.events import (
    BOOKKEEPING,
    enrollment_apply_event,
    enrollment_event_preview,
)
from enrollments.services.result_files import FileRefused, read_table
from partners.events import EventSource, PartnerEvent
from partners.models import Partner, PartnerCourse
from partners.reports import (
    ColumnsMissing,
    ReportRow,
    ResultMapping,
    RowInvalid,
    UnknownMapping,
    header_key,
    mapping_for,
)

logger = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 10  # title lines a report may have above its header row
CHUNK = 500  # ids per IN (...) query
APPLY_BATCH = 100  # rows applied per transaction
HASH_CHUNK = 1024 * 1024

BY_ACCOUNT = "partner account id"
BY_EMAIL = "e-mail"
BY_NAME = "name and course"
# Changes the write path makes that are not news to staff.
QUIET = BOOKKEEPING | {"started_at", "score_as_of", "passed_as_of", "next_attempt_at", "updated_at"}


def max_bytes() -> int:
    return settings.RESULT_IMPORT_MAX_BYTES


# --- preview ----------------------------------------------------------------------------


def result_import_preview(
    *,
    partner: Partner,
    file: File | IO[bytes],
    mapping: ResultMapping | str = "",
    imported_by_id: int | None,
    name: str = "",
) -> ResultImport:
    """Keep `file` as a ResultImport of `partner` read with `mapping` (a mapping or its
    name; the partner's first when empty) and record what every row would do; no
    enrollment changes. A file that cannot be read comes back `refused`, with the reason
    in `error`. UnknownMapping (partners.reports) for a mapping the partner lacks."""
    if isinstance(mapping, str):
        mapping = mapping_for(partner.slug, mapping)
    upload = file if isinstance(file, File) else File(file)
    name = PurePath(name or upload.name or "results").name[:255]
    record = ResultImport(
        partner=partner,
        mapping=mapping.name,
        original_name=name,
        size=upload.size or 0,
        imported_by_id=imported_by_id,
    )
    limit = max_bytes()
    if record.size > limit:
        # Refused before a byte is read: a file this size is neither hashed nor kept.
        return _refused(
            record,
            f"The file is {record.size / 1024 / 1024:.1f} MB; the limit is "
            f"{limit / 1024 / 1024:.0f} MB (RESULT_IMPORT_MAX_BYTES). Split the report.",
        )
    record.sha256 = _sha256(upload)
    upload.seek(0)
    record.file.save(name, upload, save=False)
    try:
        upload.seek(0)
        table = read_table(upload)
        header, positions, rows = _header_and_rows(mapping, table.rows)
    except (FileRefused, ColumnsMissing) as exc:
        return _refused(record, str(exc))
    record.save()
    rows = _read_rows(mapping, header, positions, rows)
    if not rows:
        return _refused(record, "The file has a header row but no results.")
    for row in rows:
        row.model.result_import = record
    _judge(record, rows)
    ResultImportRow.objects.bulk_create([row.model for row in rows], batch_size=1000)
    record.counts = dict(Counter(str(row.model.outcome) for row in rows))
    record.save(update_fields=["counts"])
    return record


def result_import_headers(record: ResultImport) -> list[str]:
    """The report's column names in the file's order (read again from the kept file: a
    row's JSON keeps its names but, on PostgreSQL, not their order); else as stored."""
    if record.file and record.status != ImportStatus.REFUSED:
        try:
            with record.file.open("rb") as stream:
                header, _, _ = _header_and_rows(
                    mapping_for(record.partner.slug, record.mapping), read_table(stream).rows
                )
            return header
        except (OSError, FileRefused, ColumnsMissing, UnknownMapping):
            pass  # the file is gone or the mapping changed: the stored names will do
    first = record.rows.order_by("line").values_list("data", flat=True).first()
    return list(first or {})


def _refused(record: ResultImport, error: str) -> ResultImport:
    record.status = ImportStatus.REFUSED
    record.error = error
    record.save()
    return record


def _sha256(upload: File) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks(HASH_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _header_and_rows(mapping: ResultMapping, rows: Iterable[tuple[int, list[str]]]):
    """The header row (the first of the top rows the mapping can read), its columns, and
    the rows below it. ColumnsMissing says what the first row lacks when none fits."""
    rows = iter(rows)
    first_error = None
    for _ in range(HEADER_SEARCH_ROWS):
        line, cells = next(rows, (None, None))
        if line is None:
            break
        try:
            return _headers(cells), mapping.resolve(cells), rows
        except ColumnsMissing as exc:
            first_error = first_error or exc
    if first_error is None:
        raise FileRefused("The file is empty.")
    raise first_error


def _headers(cells: list[str]) -> list[str]:
    """Unique header names: a blank one is 'Column N', a repeated one 'Name (2)'."""
    seen: Counter = Counter()
    out = []
    for n, cell in enumerate(cells, start=1):
        label = cell or f"Column {n}"
        seen[label] += 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


@dataclass
class Row:
    """A row on its way through the preview."""

    model: ResultImportRow
    report: ReportRow | None = None
    enrollment: Enrollment | None = None
    event_id: str = ""


def _read_rows(mapping, header, positions, rows) -> list[Row]:
    out = []
    for line, cells in rows:
        data = {label: (cells[i] if i < len(cells) else "") for i, label in enumerate(header)}
        data.update({f"Column {i + 1}": cell for i, cell in enumerate(cells) if i >= len(header)})
        row = Row(ResultImportRow(line=line, data=data, outcome=RowOutcome.INVALID))
        try:
            row.report = read_report_row(mapping, positions, cells)
        except RowInvalid as exc:
            row.model.reason = str(exc)
        except Exception as exc:  # one unreadable row never stops the others
            logger.exception("Result import: line %s could not be read", line)
            row.model.reason = f"the row could not be read ({type(exc).__name__}: {exc})"[:500]
        out.append(row)
    return out


def read_report_row(mapping: ResultMapping, positions: dict[str, int], cells: list) -> ReportRow:
    values = {key: (cells[i] if i < len(cells) else "") for key, i in positions.items()}
    return mapping.read(values)


def _judge(record: ResultImport, rows: list[Row]) -> None:
    """Match every readable row and say what it would do (on the rows' models)."""
    readable = [row for row in rows if row.report is not None]
    matcher = Matcher(record.partner, [row.report for row in readable])
    for row in readable:
        try:
            row.enrollment, row.model.matched_by, reason = matcher.find(row.report)
        except Exception as exc:
            logger.exception(
                "Result import %s: line %s could not be matched", record.pk, row.model.line
            )
            row.enrollment, reason = None, f"could not be matched ({type(exc).__name__}: {exc})"
        if row.enrollment is None:
            row.model.outcome, row.model.reason = RowOutcome.UNMATCHED, reason
            continue
        row.model.enrollment = row.enrollment
        row.event_id = event_id(record.partner.slug, row.enrollment.pk, row.report)
        row.model.event_id = row.event_id
    state = matcher.state([row.enrollment.pk for row in readable if row.enrollment is not None])
    first_line: dict[str, int] = {}
    for row in readable:
        if row.enrollment is None:
            continue
        model = row.model
        if row.event_id in first_line:
            model.outcome = RowOutcome.IGNORED
            model.reason = f"the same result as line {first_line[row.event_id]}: applied once"
            continue
        first_line[row.event_id] = model.line
        if f"{EventSource.IMPORT}:{row.event_id}" in state.keys[row.enrollment.pk]:
            model.outcome, model.reason = RowOutcome.UNCHANGED, "applied before: nothing new"
            continue
        try:
            preview = enrollment_event_preview(
                state.enrollment(row.enrollment),
                build_event(record, row.enrollment, row.report, row.event_id, recorded_by=None),
                certificate_number=state.certificates.get(row.enrollment.pk),
            )
        except Exception as exc:
            logger.exception(
                "Result import %s: line %s could not be previewed", record.pk, model.line
            )
            model.outcome = RowOutcome.INVALID
            model.reason = f"could not be previewed ({type(exc).__name__}: {exc})"[:500]
            continue
        if "certificate" in preview.changes:
            state.certificates[row.enrollment.pk] = preview.changes["certificate"]
        said = describe(row.report, preview.changes, preview.ignored, preview.problems)
        if preview.ignored:
            model.outcome = RowOutcome.IGNORED
        elif set(preview.changes) - QUIET:
            model.outcome = RowOutcome.MATCHED
        else:
            model.outcome = RowOutcome.UNCHANGED
            said = f"{row.report.status or 'row'}: nothing new"
        model.reason = said


def describe(report: ReportRow, changes: dict, ignored: str = "", problems=()) -> str:
    """What a row did or would do, for staff: "Passed: status completed, progress 100"."""
    if ignored:
        return f"ignored: {ignored}"
    parts = []
    for name, value in changes.items():
        if name in QUIET:
            continue
        if isinstance(value, datetime):
            value = timezone.localtime(value).date().isoformat()
        parts.append(f"{name.replace('_', ' ')} {value}")
    text = f"{report.status or 'row'}: " + (", ".join(parts) or "nothing new")
    if report.status.lower() == "lapsed":
        text += " (lapsed: the time to finish ran out; not a completion)"
    if problems:
        text += "; left out: " + "; ".join(problems)
    return text[:1000]


def event_id(slug: str, enrollment_id: int, report: ReportRow) -> str:
    """Stable for the same result of the same enrollment, whatever file it came in."""
    content = report.content()
    for who in ("account_id", "email", "name", "course"):
        content.pop(who, None)  # the enrollment says who and which course
    digest = hashlib.sha256(
        json.dumps([slug, enrollment_id, content], sort_keys=True, default=str).encode()
    ).hexdigest()
    return f"row-{digest[:40]}"


def build_event(
    record: ResultImport,
    enrollment: Enrollment,
    report: ReportRow,
    event_id: str,
    *,
    recorded_by: int | None,
    line: int = 0,
) -> PartnerEvent:
    return PartnerEvent(
        type=report.type,
        partner=record.partner.slug,
        # A row without a date happened when the report was received.
        occurred_at=report.occurred_at or record.created_at,
        enrollment_id=enrollment.pk,
        progress_percent=report.progress_percent,
        score=report.score,
        passed=report.passed,
        completed_at=report.completed_at,
        certificate=report.certificate,
        source=EventSource.IMPORT,
        event_id=event_id,
        recorded_by=recorded_by,
        raw={
            "result_import": record.pk,
            "mapping": record.mapping,
            "line": line,
            "status": report.status,
        },
    )


# --- matching ---------------------------------------------------------------------------


def name_key(name: str) -> str:
    """A name as compared: accents, case, punctuation and spacing ignored."""
    plain = unicodedata.normalize("NFKD", name)
    return header_key("".join(ch for ch in plain if not unicodedata.combining(ch)))


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for n in range(0, len(items), size):
        yield items[n : n + size]


@dataclass
class EnrollmentState:
    """What the preview needs of the matched enrollments: the import events recorded on
    each, its certificate's number, and a working copy each to preview rows on."""

    keys: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    certificates: dict[int, str] = field(default_factory=dict)
    copies: dict[int, Enrollment] = field(default_factory=dict)

    def enrollment(self, enrollment: Enrollment) -> Enrollment:
        if enrollment.pk not in self.copies:
            self.copies[enrollment.pk] = Enrollment.from_db(
                "default",
                [f.attname for f in Enrollment._meta.concrete_fields],
                [getattr(enrollment, f.attname) for f in Enrollment._meta.concrete_fields],
            )
        return self.copies[enrollment.pk]


class Matcher:
    """Finds each report row's enrollment, from a handful of queries for the whole file."""

    def __init__(self, partner: Partner, reports: list[ReportRow]) -> None:
        self.partner = partner
        self.courses = self._courses()
        account_ids = sorted({r.account_id for r in reports if r.account_id})
        emails = sorted({r.email.lower() for r in reports if r.email})
        self.by_account: dict[str, int] = {}
        for chunk in _chunks(account_ids):
            self.by_account.update(
                PartnerAccount.objects.filter(partner=partner, external_id__in=chunk).values_list(
                    "external_id", "student_id"
                )
            )
        self.by_email: dict[str, list[int]] = defaultdict(list)
        for chunk in _chunks(emails):
            for pk, email in (
                Student.objects.annotate(lower_email=Lower("email"))
                .filter(lower_email__in=chunk)
                .values_list("pk", "lower_email")
            ):
                self.by_email[email].append(pk)
        self.by_name = self._names(reports)
        student_ids = sorted(
            set(self.by_account.values())
            | {pk for pks in self.by_email.values() for pk in pks}
            | {pk for pks in self.by_name.values() for pk in pks}
        )
        self.enrollments: dict[int, list[Enrollment]] = defaultdict(list)
        for chunk in _chunks(student_ids):
            for enrollment in (
                Enrollment.objects.filter(partner=partner, student_id__in=chunk)
                .exclude(status=EnrollmentStatus.CANCELLED)
                .select_related("student", "course", "cohort")
                .order_by("-requested_at", "-pk")
            ):
                self.enrollments[enrollment.student_id].append(enrollment)

    def _courses(self) -> dict[str, PartnerCourse]:
        """Our course by any name a report may give it: code, title, credential."""
        found: dict[str, PartnerCourse] = {}
        for course in PartnerCourse.objects.filter(partner=self.partner).order_by("-active", "pk"):
            for name in (course.credential_name, course.title, course.code):
                if name:
                    found[header_key(name)] = course
        return found

    def _names(self, reports: list[ReportRow]) -> dict[tuple[str, str], list[int]]:
        """Students enrolled in the courses the report names, by (first, last) name."""
        course_ids = {
            self.courses[header_key(r.course)].pk
            for r in reports
            if r.course and header_key(r.course) in self.courses and r.last_name
        }
        wanted = {(name_key(r.first_name), name_key(r.last_name)) for r in reports if r.last_name}
        out: dict[tuple[str, str], list[int]] = defaultdict(list)
        if not course_ids:
            return out
        rows = (
            Enrollment.objects.filter(partner=self.partner, course_id__in=course_ids)
            .exclude(status=EnrollmentStatus.CANCELLED)
            .values_list("student_id", "student__first_name", "student__last_name")
            .distinct()
        )
        for pk, first, last in rows:
            key = (name_key(first), name_key(last))
            if key in wanted and pk not in out[key]:
                out[key].append(pk)
        return out

    def course_of(self, report: ReportRow) -> PartnerCourse | None:
        return self.courses.get(header_key(report.course)) if report.course else None

    def find(self, report: ReportRow) -> tuple[Enrollment | None, str, str]:
        """(enrollment, rule that found it, "") or (None, "", why not)."""
        course = self.course_of(report)
        if report.course and course is None:
            return None, "", f"no {self.partner.slug} course is called {report.course!r:.60}"
        where = f" in {course.code}" if course else ""
        tried = []
        rules = [
            (BY_ACCOUNT, report.account_id, [self.by_account.get(report.account_id)]),
            (BY_EMAIL, report.email, self.by_email.get(report.email.lower(), [])),
        ]
        if course is not None and report.last_name:
            name = (name_key(report.first_name), name_key(report.last_name))
            rules.append(
                (BY_NAME, f"{report.first_name} {report.last_name}", self.by_name.get(name, []))
            )
        for rule, value, student_ids in rules:
            if not value:
                continue
            student_ids = [pk for pk in student_ids if pk is not None]
            if not student_ids:
                tried.append(f"no student with {rule} {value!r:.60}")
                continue
            found, why = self._pick(student_ids, course, report.group_code)
            if found is not None:
                return found, rule, ""
            tried.append(f"{rule} {value!r:.60}: {why}{where}")
        if not tried:
            return None, "", "the row names no account id, e-mail, or name with a course"
        return None, "", "; ".join(tried)

    def _pick(self, student_ids: list[int], course, group_code: str):
        candidates = [
            e
            for pk in student_ids
            for e in self.enrollments.get(pk, [])
            if course is None or e.course_id == course.pk
        ]
        if not candidates:
            return None, f"no {self.partner.slug} enrollment"
        # Newest first: an open one, else the latest completed or failed one.
        pool = [e for e in candidates if e.is_open] or candidates[:1]
        if len(pool) > 1 and group_code:
            grouped = [e for e in pool if e.cohort and e.cohort.group_code == group_code]
            pool = grouped or pool
        if len(pool) > 1:
            codes = ", ".join(sorted({e.course.code for e in pool}))
            return None, f"several open enrollments ({codes}): the row must name its course"
        return pool[0], ""

    def state(self, enrollment_ids: list[int]) -> EnrollmentState:
        state = EnrollmentState()
        ids = sorted(set(enrollment_ids))
        for chunk in _chunks(ids):
            for pk, key in EnrollmentEvent.objects.filter(
                enrollment_id__in=chunk, source=EventSource.IMPORT
            ).values_list("enrollment_id", "event_key"):
                state.keys[pk].add(key)
            state.certificates.update(
                Certificate.objects.filter(enrollment_id__in=chunk).values_list(
                    "enrollment_id", "number"
                )
            )
        return state


# --- apply ------------------------------------------------------------------------------


def result_import_apply(result_import: ResultImport, *, applied_by_id: int | None) -> ResultImport:
    """Apply the matched rows of a previewed import through `enrollment_apply_event`,
    recording each row's final outcome and event id. Once only: an import applied (or
    being applied) or refused is returned as it is."""
    claimed = ResultImport.objects.filter(
        pk=result_import.pk, status=ImportStatus.PREVIEWED
    ).update(status=ImportStatus.APPLIED, applied_at=timezone.now())
    result_import.refresh_from_db()
    if not claimed:
        return result_import
    mapping = mapping_for(result_import.partner.slug, result_import.mapping)
    rows = list(
        result_import.rows.filter(outcome=RowOutcome.MATCHED)
        .select_related("enrollment")
        .order_by("line")
    )
    positions: dict[tuple, dict[str, int]] = {}
    for row in rows:
        # Read as previewed: each row keeps its header names with its cells (a JSON
        # object's key order is the database's, so positions are worked out per row).
        labels = tuple(row.data)
        if labels not in positions:
            positions[labels] = mapping.resolve(list(labels))
        row.positions = positions[labels]
    for start in range(0, len(rows), APPLY_BATCH):
        batch = rows[start : start + APPLY_BATCH]
        previewed = [(row.outcome, row.reason, row.event_id) for row in batch]
        # A batch is one transaction: its events and its rows' outcomes commit together.
        # Should a row fail, the batch is rolled back whole (its e-mails with it) and
        # applied again with a savepoint per row, so that row alone is recorded as not
        # applied, with why, and the others go on.
        try:
            with transaction.atomic():
                for row in batch:
                    _apply_row(result_import, mapping, row, applied_by_id, isolated=False)
                _save_outcomes(batch)
        except Exception:
            logger.exception(
                "Result import %s: a batch from line %s failed; applying it row by row",
                result_import.pk,
                batch[0].line,
            )
            for row, (outcome, reason, key) in zip(batch, previewed, strict=True):
                row.outcome, row.reason, row.event_id = outcome, reason, key
            with transaction.atomic():
                for row in batch:
                    _apply_row(result_import, mapping, row, applied_by_id, isolated=True)
                _save_outcomes(batch)
    counts = Counter(result_import.rows.values_list("outcome", flat=True))
    result_import.counts = dict(counts)
    result_import.save(update_fields=["counts"])
    return result_import


def _save_outcomes(rows: list[ResultImportRow]) -> None:
    """One UPDATE per row, sent as one batch: bulk_update's CASE expressions cost more to
    build than the whole write path spends on a row."""
    meta = ResultImportRow._meta
    qn = connection.ops.quote_name
    columns = ", ".join(
        f"{qn(meta.get_field(name).column)} = %s" for name in ("outcome", "reason", "event_id")
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {qn(meta.db_table)} SET {columns} WHERE {qn(meta.pk.column)} = %s",
            [(str(row.outcome), row.reason, row.event_id, row.pk) for row in rows],
        )


def _apply_row(record, mapping, row: ResultImportRow, applied_by_id, *, isolated: bool) -> None:
    """Apply one matched row, recording its outcome on `row`. Not `isolated`, an error
    of the write path propagates (the caller rolls the batch back and retries it
    isolated); `isolated`, the row has its own savepoint and any error is recorded."""
    try:
        if row.enrollment is None:
            raise RowInvalid("the enrollment matched in the preview is gone")
        report = read_report_row(mapping, row.positions, list(row.data.values()))
        key = event_id(record.partner.slug, row.enrollment_id, report)
        event = build_event(
            record, row.enrollment, report, key, recorded_by=applied_by_id, line=row.line
        )
    except RowInvalid as exc:  # nothing was written for it
        row.outcome, row.reason = RowOutcome.INVALID, f"not applied: {exc}"[:1000]
        return
    if not isolated:
        result = enrollment_apply_event(event)
    else:
        try:
            with transaction.atomic():
                result = enrollment_apply_event(event)
        except EnrollmentError as exc:
            row.outcome, row.reason = RowOutcome.INVALID, f"not applied: {exc}"[:1000]
            return
        except Exception as exc:  # one row's failure never stops the others
            logger.exception("Result import %s: line %s could not be applied", record.pk, row.line)
            row.outcome = RowOutcome.INVALID
            row.reason = f"not applied ({type(exc).__name__}: {exc})"[:1000]
            return
    row.event_id = key
    if result.duplicate:
        row.outcome, row.reason = RowOutcome.UNCHANGED, "applied before: nothing new"
    elif result.ignored:
        row.outcome, row.reason = RowOutcome.IGNORED, f"ignored: {result.ignored}"
    else:
        row.outcome = RowOutcome.APPLIED
        row.reason = describe(report, result.changes, problems=result.problems)
