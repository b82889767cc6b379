"""Milady's progress report (run by a school admin, exported as CSV or XLSX). See
docs/partners/milady.md ("Result report"); the exact columns are our assumption."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from partners.reports import (
    Column,
    ReportRow,
    ResultMapping,
    RowInvalid,
    certificate,
    header_key,
    outcome_type,
    parse_date,
    parse_number,
    parse_percent,
    text,
)

STATUSES = {"not started": False, "in progress": False, "completed": True}


@dataclass(frozen=True)
class ProgressReportMapping(ResultMapping):
    name: str = "progress-report"
    title: str = "Milady progress report"
    description: str = (
        "One row per student and course: progress, status (Not Started, In Progress, "
        "Completed), completion date, final score and certificate ID."
    )
    columns: tuple[Column, ...] = (
        Column("account_id", ("Student ID", "Milady ID", "Learner ID")),
        Column("first_name", ("First Name",)),
        Column("last_name", ("Last Name",)),
        Column("email", ("Email", "E-mail", "Student Email")),
        Column("course", ("Course", "Course Name", "Product"), required=True),
        Column("progress", ("Progress %", "Progress", "Percent Complete")),
        Column("status", ("Status", "Course Status"), required=True),
        Column("completed_on", ("Completion Date", "Completed On", "Date Completed")),
        Column("score", ("Final Score", "Score", "Final Exam Score")),
        Column("certificate_id", ("Certificate ID", "Certificate Number")),
    )

    def read(self, values: dict[str, Any]) -> ReportRow:
        who = self.identity(values)
        status = header_key(values.get("status"))
        if status not in STATUSES:
            raise RowInvalid(
                f"Status {text(values.get('status'))!r:.40} is not one of Not Started, "
                "In Progress, Completed"
            )
        completed = STATUSES[status]
        when = parse_date(values.get("completed_on"), "Completion Date")
        if completed and when is None:
            raise RowInvalid("Completed needs its Completion Date")
        progress = parse_percent(values.get("progress"), "Progress %")
        cert = certificate(values.get("certificate_id"), issued_at=when)
        return ReportRow(
            type=outcome_type(completed=completed, passed=None, cert=cert),
            **who,
            course=self.course_code(text(values.get("course"))),
            occurred_at=when,
            progress_percent=None if completed else min(progress or 0, 99),
            score=parse_number(
                values.get("score"), "Final Score", low=Decimal(0), high=Decimal(100)
            ),
            completed_at=when if completed else None,
            certificate=cert,
            status=text(values.get("status")),
        )


MAPPINGS = (ProgressReportMapping(),)
