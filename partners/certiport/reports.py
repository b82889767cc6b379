"""Certiport's exam results report (the portal's candidate results, one row per sitting).
See docs/partners/certiport.md ("Result report"): scores are scaled 1-1000 and pass at
700 unless the row gives its own cut score; the exact columns are our assumption."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from partners.reports import (
    Column,
    ReportRow,
    ResultMapping,
    RowInvalid,
    header_key,
    outcome_type,
    parse_date,
    parse_number,
    parse_result,
    text,
)

PASSING_SCORE = Decimal(700)
MAX_SCORE = Decimal(1000)
# Sittings that produced no result: nothing to record.
NO_RESULT = {"no show", "voided", "void", "cancelled", "canceled", "scheduled", "in progress"}


@dataclass(frozen=True)
class ExamResultsMapping(ResultMapping):
    name: str = "exam-results"
    title: str = "Certiport exam results"
    description: str = (
        "The candidate results report (one row per exam sitting), for one exam group or "
        "all. Pass/Fail wins when given, else score >= cut score (700 of 1000)."
    )
    columns: tuple[Column, ...] = (
        Column("account_id", ("Candidate ID", "Certiport ID", "User ID")),
        Column("first_name", ("First Name", "Candidate First Name")),
        Column("last_name", ("Last Name", "Candidate Last Name")),
        Column("email", ("Email", "E-mail", "Candidate Email")),
        Column("course", ("Exam Code", "Exam", "Exam Name"), required=True),
        Column("exam_name", ("Exam Name", "Exam Title")),
        Column("exam_date", ("Exam Date", "Delivery Date", "Date Taken"), required=True),
        Column("group_code", ("Exam Group", "Group")),
        Column("voucher", ("Voucher Code", "Voucher")),
        Column("status", ("Status", "Exam Status")),
        Column("result", ("Pass/Fail", "Result", "Pass Fail")),
        Column("score", ("Score", "Reported Score", "Scaled Score"), required=True),
        Column("cut_score", ("Cut Score", "Passing Score")),
    )

    def read(self, values: dict[str, Any]) -> ReportRow:
        who = self.identity(values)
        status = text(values.get("status"))
        if header_key(status) in NO_RESULT:
            raise RowInvalid(f"exam status {status!r:.40}: the sitting has no result")
        when = parse_date(values.get("exam_date"), "Exam Date")
        if when is None:
            raise RowInvalid("Exam Date is empty")
        score = parse_number(values.get("score"), "Score", low=Decimal(0), high=MAX_SCORE)
        cut = parse_number(values.get("cut_score"), "Cut Score", low=Decimal(1), high=MAX_SCORE)
        passed = parse_result(values.get("result"), "Pass/Fail")
        if passed is None:
            if score is None:
                raise RowInvalid("neither a score nor Pass/Fail")
            passed = score >= (cut or PASSING_SCORE)
        return ReportRow(
            type=outcome_type(completed=passed, passed=passed, cert=None),
            **who,
            course=self.course_code(text(values.get("course"))),
            group_code=text(values.get("group_code")),
            occurred_at=when,
            score=score,
            passed=passed,
            completed_at=when if passed else None,
            status=status or ("Pass" if passed else "Fail"),
        )


MAPPINGS = (ExamResultsMapping(),)
