"""HSI's card report (the digital cards issued for our classes, from the Otis training
centre portal). See docs/partners/hsi.md ("Result report"): every row is a card issued,
with its number and expiry; the exact columns are our assumption."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from partners.reports import (
    Column,
    ReportRow,
    ResultMapping,
    RowInvalid,
    certificate,
    outcome_type,
    parse_date,
    text,
)


@dataclass(frozen=True)
class CardReportMapping(ResultMapping):
    name: str = "card-report"
    title: str = "HSI card report"
    description: str = (
        "Cards issued (one row per student and card): card number, issue date and "
        "expiration date. Each row completes the course and records the card."
    )
    columns: tuple[Column, ...] = (
        Column("account_id", ("Student ID", "Otis ID", "HSI Student ID")),
        Column("first_name", ("Student First Name", "First Name")),
        Column("last_name", ("Student Last Name", "Last Name")),
        Column("email", ("Student Email", "Email", "E-mail")),
        Column("course", ("Course", "Class", "Course Name", "Card Type"), required=True),
        Column("class_date", ("Class Date", "Class End Date", "Training Date")),
        Column("card_number", ("Card Number", "Card #", "Certificate Number"), required=True),
        Column("issued_on", ("Issue Date", "Issued", "Card Issue Date"), required=True),
        Column("expires_on", ("Expiration Date", "Expires", "Card Expiration Date")),
        Column("validation_url", ("Validation URL", "Verify URL")),
        Column("instructor", ("Instructor",)),
        Column("training_center", ("Training Center", "Training Centre")),
    )

    def read(self, values: dict[str, Any]) -> ReportRow:
        who = self.identity(values)
        issued = parse_date(values.get("issued_on"), "Issue Date")
        class_date = parse_date(values.get("class_date"), "Class Date")
        if not text(values.get("card_number")):
            raise RowInvalid("Card Number is empty")
        card = certificate(
            values.get("card_number"),
            issued_at=issued,
            expires_at=parse_date(values.get("expires_on"), "Expiration Date", future=True),
            verification_url=values.get("validation_url"),
        )
        completed_at = class_date or issued
        return ReportRow(
            type=outcome_type(completed=True, passed=None, cert=card),
            **who,
            course=self.course_code(text(values.get("course"))),
            occurred_at=issued,
            completed_at=completed_at,
            certificate=card,
            status="Card issued",
        )


CARD_REPORT = CardReportMapping(
    course_names={
        "CPR AED Adult": "ASHI-CPR-AED-ADULT",
        "Adult CPR AED": "ASHI-CPR-AED-ADULT",
        "Adult First Aid CPR AED": "ASHI-FA-CPR-AED",
        "First Aid CPR AED": "ASHI-FA-CPR-AED",
        "Pediatric First Aid CPR AED": "ASHI-PEDS-FA-CPR",
        "Bloodborne Pathogens": "MFA-BBP",
        "BLS": "ASHI-BLS",
        "Basic Life Support": "ASHI-BLS",
        "Emergency Medical Responder": "ASHI-EMR",
    }
)
MAPPINGS = (CARD_REPORT,)
