"""NRF Foundation RISE Up's credential results, as read back from the partner platform.
See docs/partners/nrf.md ("Result report"): a pass is the credential earned; its ID and
link arrive a day or two later, so a second report adds the certificate. The exact
columns are our assumption."""

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
    outcome_type,
    parse_date,
    parse_number,
    parse_percent,
    parse_result,
    text,
)


@dataclass(frozen=True)
class CredentialReportMapping(ResultMapping):
    name: str = "credential-report"
    title: str = "NRF RISE Up credential report"
    description: str = (
        "One row per learner and credential: training progress, the exam's date, score "
        "and Pass/Fail, then the credential ID, issue and expiry dates and link."
    )
    columns: tuple[Column, ...] = (
        Column("account_id", ("Learner ID", "RISE Up ID")),
        Column("first_name", ("First Name",)),
        Column("last_name", ("Last Name",)),
        Column("email", ("Email", "E-mail", "Learner Email")),
        Column("group_code", ("Site", "Site ID")),
        Column("course", ("Credential", "Course", "Credential Name"), required=True),
        Column("progress", ("Training Progress", "Progress")),
        Column("exam_date", ("Exam Date", "Date")),
        Column("score", ("Score", "Exam Score")),
        Column("result", ("Result", "Pass/Fail"), required=True),
        Column("credential_id", ("Credential ID", "Certificate ID")),
        Column("issued_on", ("Issued", "Issue Date", "Issued On")),
        Column("expires_on", ("Expires", "Expiration Date", "Expires On")),
        Column("url", ("Certificate Link", "Certificate URL", "Credential Link")),
    )

    def read(self, values: dict[str, Any]) -> ReportRow:
        who = self.identity(values)
        passed = parse_result(values.get("result"), "Result")
        exam_date = parse_date(values.get("exam_date"), "Exam Date")
        if passed is not None and exam_date is None:
            raise RowInvalid("a Result needs its Exam Date")
        issued = parse_date(values.get("issued_on"), "Issued")
        cert = certificate(
            values.get("credential_id"),
            issued_at=issued,
            expires_at=parse_date(values.get("expires_on"), "Expires", future=True),
            url=values.get("url"),
        )
        progress = parse_percent(values.get("progress"), "Training Progress")
        return ReportRow(
            type=outcome_type(completed=bool(passed), passed=passed, cert=cert),
            **who,
            course=self.course_code(text(values.get("course"))),
            group_code=text(values.get("group_code")),
            occurred_at=issued or exam_date,
            progress_percent=None if passed else (None if progress is None else min(progress, 99)),
            score=parse_number(values.get("score"), "Score", low=Decimal(0), high=Decimal(100)),
            passed=passed,
            completed_at=exam_date if passed else None,
            certificate=cert,
            status={True: "Pass", False: "Fail", None: "Not attempted"}[passed],
        )


MAPPINGS = (
    CredentialReportMapping(
        course_names={
            "Customer Service & Sales": "RISEUP-CSS",
            "Business of Retail": "RISEUP-BOR",
        }
    ),
)
