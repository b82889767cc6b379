"""Milady (Cengage): `Authorization: Bearer <key>` + `X-School-Id` (our school's id).

Quirks: PascalCase fields; timestamps come without a UTC offset and are read as UTC; an
enrolment can carry a school promo code (an unknown one is refused with 422); a
certificate not issued yet is a 200 with `CertificateStatus: "NotIssued"`, so a 404 on the
certificate call really means the enrolment is unknown and is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from partners.base import PartnerAdapter, clamp_percent, parse_when, to_decimal
from partners.milady import constants as c
from partners.results import (
    AccountResult,
    CertificateResult,
    EnrollmentResult,
    LaunchResult,
    ProgressResult,
    StudentInfo,
)


class MiladyAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    # The bearer key and the school id; Milady's assumed contract has no API secret.
    required_settings = ("api_base_url", "api_key", "organization_id")
    supports_promo_codes = True

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.config.api_key}",
            "X-School-Id": self.config.organization_id,
        }

    def create_account(self, *, student: StudentInfo, idempotency_key: str) -> AccountResult:
        """Create (or find, by e-mail) the student in our Milady school."""
        response = self.client.post(
            c.CREATE_STUDENT,
            operation="create_account",
            idempotency_key=idempotency_key,
            json={
                "FirstName": student.first_name,
                "LastName": student.last_name,
                "Email": student.email,
                "StudentNumber": student.external_ref,
            },
        )
        body = self.data(response, "StudentId")
        return AccountResult(
            external_id=str(body["StudentId"]),
            username=str(body.get("UserName") or ""),
            login_url=str(body.get("LoginUrl") or ""),
            raw=body,
        )

    def enroll(
        self,
        *,
        account_id: str,
        course_code: str,
        reference: str,
        idempotency_key: str,
        options: Mapping[str, Any] | None = None,
    ) -> EnrollmentResult:
        """Enrol the student; `options["promo_code"]` is sent as the school promo code.
        Milady refuses an unknown promo code (PartnerRejectedError): we never fall back
        to enrolling at full price behind staff's back."""
        payload: dict[str, Any] = {
            "StudentId": account_id,
            "CourseCode": course_code,
            "ExternalReference": reference,
        }
        if options and options.get("promo_code"):
            payload["PromoCode"] = str(options["promo_code"]).strip()
        response = self.client.post(
            c.ENROLL, operation="enroll", idempotency_key=idempotency_key, json=payload
        )
        body = self.data(response, "EnrollmentId")
        return EnrollmentResult(
            external_id=str(body["EnrollmentId"]),
            status="active" if body.get("Status") == c.STATUS_ACTIVE else "submitted",
            launch_url=str(body.get("LaunchUrl") or ""),
            raw=body,
        )

    def get_progress(self, *, external_enrollment_id: str) -> ProgressResult:
        """Lesson progress and the final exam grade (out of 100)."""
        response = self.client.get(
            c.PROGRESS.format(id=external_enrollment_id), operation="get_progress"
        )
        body = self.data(response, "Status")
        status = str(body["Status"])
        completed = status == c.STATUS_COMPLETED
        percent = clamp_percent(body.get("PercentComplete")) or 0
        return ProgressResult(
            # Milady's own Completed is the finish line; a 100 % without it (final exam
            # still open) stays below 100, which downstream reads as done.
            progress_percent=100 if completed else min(percent, 99),
            completed=completed,
            started=completed or status == c.STATUS_IN_PROGRESS or percent > 0,
            score=to_decimal(body.get("FinalExamScore")),
            completed_at=parse_when(body.get("CompletionDate")) if completed else None,
            raw=body,
        )

    def get_certificate(self, *, external_enrollment_id: str) -> CertificateResult | None:
        """The completion certificate, or None while Milady says `NotIssued`."""
        response = self.client.get(
            c.CERTIFICATE.format(id=external_enrollment_id), operation="get_certificate"
        )
        body = self.data(response, "CertificateStatus")
        if body["CertificateStatus"] != c.CERTIFICATE_ISSUED:
            return None
        body = self.data(response, "CertificateId", "IssuedDate")
        issued_at = self.required_date(response, body, "IssuedDate")
        return CertificateResult(
            number=str(body["CertificateId"]),
            issued_at=issued_at,
            expires_at=parse_when(body.get("ExpirationDate")),
            url=str(body.get("CertificateUrl") or ""),
            verification_url=str(body.get("VerificationUrl") or ""),
            raw=body,
        )

    def sso_launch_url(self, *, account_id: str, external_enrollment_id: str = "") -> LaunchResult:
        """A short-lived sign-in URL into the student's Milady course."""
        response = self.client.post(
            c.SSO_LAUNCH,
            operation="sso_launch_url",
            json={"StudentId": account_id, "EnrollmentId": external_enrollment_id},
        )
        body = self.data(response, "Url")
        return self.launch_result(body, "Url", expires_at=body.get("ExpiresAt"))
