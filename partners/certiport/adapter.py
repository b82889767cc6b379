"""Certiport (Pearson VUE): `Authorization: Bearer <key>` + `X-Organization-Id`, no secret.

Quirks: an enrolment is an exam registration paid with an exam voucher, so `enroll` first
generates a voucher (unless one is given) and then registers with it; progress is the
practice-test ratio until the exam is passed (score out of 1000, pass at 700), then 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from partners.base import PartnerAdapter
from partners.certiport import constants as c
from partners.contract import clamp_percent, parse_when, to_decimal
from partners.results import EnrollmentRequest, EnrollmentResult, ProgressResult, VoucherResult


def exam_passed(exam: Mapping[str, Any], status: str = "") -> bool | None:
    """Certiport's own verdict when it gives one; else the score against 700; else unknown.

    The partner's explicit result wins over the score: a retake policy or a voided sitting
    can make a scored exam count as failed, and Certiport knows that, we do not.
    """
    result = str(exam.get("result") or "").strip().lower()
    if result == c.RESULT_PASS.lower():
        return True
    if result == c.RESULT_FAIL.lower():
        return False
    score = to_decimal(exam.get("score"))
    if score is not None:
        return score >= c.PASSING_SCORE
    if status in ("Passed", "Failed"):
        return status == "Passed"
    return None


def practice_percent(practice: Mapping[str, Any]) -> int:
    """Completed practice tests as a percentage of the practice tests in the set."""
    completed = to_decimal(practice.get("completed")) or Decimal(0)
    total = to_decimal(practice.get("total")) or Decimal(0)
    if total <= 0:
        return 0
    return clamp_percent(completed * 100 / total) or 0


def exam_progress(body: Mapping[str, Any]) -> ProgressResult:
    """100 once the exam is passed; before that, the practice-test ratio (at most 99,
    because everything downstream reads 100 % as done). Certiport has no progress status
    of its own: the exam result decides."""
    practice = body["practiceTests"] if isinstance(body.get("practiceTests"), Mapping) else {}
    exam = body.get("exam") if isinstance(body.get("exam"), Mapping) else {}
    passed = exam_passed(exam, str(body.get("status") or ""))
    completed = passed is True
    ratio = practice_percent(practice)
    return ProgressResult(
        progress_percent=100 if completed else min(ratio, 99),
        completed=completed,
        started=completed or ratio > 0 or bool(exam.get("takenOn")),
        score=to_decimal(exam.get("score")),
        passed=passed,
        completed_at=parse_when(exam.get("takenOn")) if completed else None,
        raw=dict(body),
    )


class CertiportAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    # Bearer key + organisation: Certiport's assumed contract has no API secret.
    required_settings = ("api_base_url", "api_key", "organization_id")
    paths = c.PATHS
    account_fields = c.ACCOUNT_FIELDS
    enrollment_fields = c.ENROLLMENT_FIELDS
    certificate_fields = c.CERTIFICATE_FIELDS
    launch_fields = c.LAUNCH_FIELDS

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.config.api_key}",
            "X-Organization-Id": self.config.organization_id,
        }

    def webhook_progress(self, data: Mapping[str, Any]) -> int | None:
        """Spec v1's progress_percent, except that 100 % belongs to a passed exam only: a
        failed sitting with every practice test done stays at 99, as when polled."""
        percent = clamp_percent(data.get("progress_percent"))
        if percent == 100 and data.get("passed") is False:
            return 99
        return percent

    def generate_voucher(
        self, *, course_code: str, account_id: str, idempotency_key: str
    ) -> VoucherResult:
        """Generate an exam voucher for `course_code` (the exam code) for a candidate."""
        response = self.client.post(
            c.VOUCHERS,
            operation="generate_voucher",
            idempotency_key=idempotency_key,
            json={"userId": account_id, "examCode": course_code},
        )
        body = self.data(response, "voucherCode")
        return VoucherResult(
            code=str(body["voucherCode"]),
            course_code=str(body.get("examCode") or course_code),
            expires_at=parse_when(body.get("expiresOn")),
            raw=body,
        )

    def enroll(self, *, request: EnrollmentRequest) -> EnrollmentResult:
        """Register the candidate for the exam, paying with `request.voucher_code` when
        given (a voucher from our stock) or else with a voucher generated now: Certiport
        registers no one without a voucher. `request.group_code` puts the registration in
        a Compass exam group (a cohort)."""
        if not request.voucher_code:
            voucher = self.generate_voucher(
                course_code=request.course_code,
                account_id=request.account_id,
                idempotency_key=request.idempotency_key + c.VOUCHER_KEY_SUFFIX,
            )
            request = replace(request, voucher_code=voucher.code)
        return super().enroll(request=request)

    def get_progress(self, *, external_enrollment_id: str) -> ProgressResult:
        """The exam status call: Certiport has no progress status of its own."""
        return exam_progress(self.progress_answer(external_enrollment_id, "practiceTests"))
