"""CareerSafe's gradebook export, read as a result report. See docs/partners/careersafe.md
("Result report"): the statuses are CareerSafe's (partners/careersafe/constants.py); the
exact columns are our assumption until CareerSafe sends a real export."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from partners.careersafe.constants import COMPLETED, IN_PROGRESS, LAPSED, NOT_STARTED, PASSED
from partners.reports import (
    Column,
    ReportRow,
    ResultMapping,
    RowInvalid,
    header_key,
    outcome_type,
    parse_date,
    parse_number,
    parse_percent,
    text,
)
from partners.reports import certificate as reported_certificate

# On the gradebook but not in the API's table: the learner is working through remedial
# material after a failed module. Not a completion; read like In Progress.
IN_REMEDIATION = "In Remediation"
STATUSES = (PASSED, COMPLETED, IN_PROGRESS, IN_REMEDIATION, LAPSED, NOT_STARTED)
# The gradebook may show the date or percentage in the status cell itself:
# "Passed 03/14/2026", "In Progress (45%)", "Lapsed - 02/01/2026".
STATUS_CELL = re.compile(
    r"^(?P<status>" + "|".join(s.replace(" ", r"\s+") for s in STATUSES) + r")\b"
    r"\s*[-:(]?\s*(?P<rest>.*?)\)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class GradebookMapping(ResultMapping):
    name: str = "gradebook"
    title: str = "CareerSafe gradebook"
    description: str = (
        "The gradebook of a group and course, exported as CSV or XLSX. Passed and "
        "Completed are completions (on the status date); Lapsed (180 days ran out) is not."
    )
    columns: tuple[Column, ...] = (
        Column("account_id", ("Member ID", "MemberID", "CareerSafe ID")),
        Column("full_name", ("Student Name", "Student", "Name")),
        Column("first_name", ("First Name",)),
        Column("last_name", ("Last Name",)),
        Column("email", ("Email", "E-mail", "Email Address")),
        Column("group_code", ("Group Code", "Group")),
        Column("course", ("Course", "Course Name"), required=True),
        Column("status", ("Course Status", "Status"), required=True),
        Column("status_date", ("Status Date", "Date", "Completion Date")),
        Column("progress", ("Progress", "Percent Complete", "% Complete")),
        Column("complete_by", ("Complete By",)),
        Column("seat_time", ("Seat Time",)),
        Column("last_visited", ("Last Visited",)),
        Column("grade", ("Average Grade", "Avg Grade", "Grade")),
        # Not in every export: the DOL card (or completion certificate) once it is issued.
        Column("card_number", ("Card Number", "DOL Card Number", "Certificate Number")),
        Column("card_issued", ("Card Issued", "Card Issue Date", "Certificate Date")),
    )

    def read(self, values: dict[str, Any]) -> ReportRow:
        who = self.identity(values)
        cell = text(values.get("status"))
        found = STATUS_CELL.match(cell)
        if not found:
            raise RowInvalid(f"Course Status {cell!r:.40} is not one of " + ", ".join(STATUSES))
        status = next(s for s in STATUSES if header_key(s) == header_key(found["status"]))
        rest = found["rest"].strip()
        progress_cell = values.get("progress")
        date_cell = values.get("status_date")
        if rest.endswith("%") and progress_cell in (None, ""):
            progress_cell = rest
        elif rest and date_cell in (None, ""):
            date_cell = rest
        when = parse_date(date_cell, "Status Date")
        progress = parse_percent(progress_cell, "Progress")
        last_visited = parse_date(values.get("last_visited"), "Last Visited")
        completed = status in (PASSED, COMPLETED)
        if (completed or status == LAPSED) and when is None:
            raise RowInvalid(f"{status} needs the date it was reached (Status Date)")
        grade = parse_number(
            values.get("grade"), "Average Grade", low=Decimal(0), high=Decimal(100)
        )
        passed = True if status == PASSED else None
        card = None
        if text(values.get("card_number")):
            if not completed:
                raise RowInvalid(f"a card number on a row that is {status}, not a completion")
            card = reported_certificate(
                values.get("card_number"),
                issued_at=parse_date(values.get("card_issued"), "Card Issued") or when,
            )
        return ReportRow(
            type=outcome_type(completed=completed, passed=passed, cert=card),
            **who,
            course=self.course_code(text(values.get("course"))),
            group_code=text(values.get("group_code")),
            occurred_at=when or last_visited,
            # Only a completion is 100 % (progress of 100 alone completes nothing).
            progress_percent=None if completed else min(progress or 0, 99),
            score=grade if completed else None,
            passed=passed,
            completed_at=when if completed else None,
            certificate=card,
            status=status,
        )


GRADEBOOK = GradebookMapping(
    course_names={
        "OSHA 10 General Industry": "OSHA10-GI",
        "OSHA 10 Construction": "OSHA10-CON",
        "OSHA 30 General Industry": "OSHA30-GI",
        "OSHA 30 Construction": "OSHA30-CON",
    }
)
MAPPINGS = (GRADEBOOK,)
