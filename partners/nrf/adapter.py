"""NRF Foundation RISE Up (retail credentials): Authorization: Bearer <key> +
X-Partner-Id, no secret.

Quirks: every answer is wrapped in `{"data": {...}}`; enums are upper case; enrolment may
carry a voucher code; a credential's certificate link arrives one to two days after the
exam (the certificate answer says PENDING until then); credentials last three years and
can be verified (valid, expired, revoked); SSO hands out a token, a launch URL and its
lifetime in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from partners.base import PartnerAdapter, clamp_percent, parse_when, to_decimal
from partners.client import PartnerResponse
from partners.errors import PartnerNotFoundError
from partners.nrf import constants as c
from partners.results import (
    AccountResult,
    CertificateResult,
    EnrollmentResult,
    LaunchResult,
    ProgressResult,
    StudentInfo,
    VerificationResult,
)


class NrfAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    # The bearer key and partner id are all RISE Up issues; no secret.
    required_settings = ("api_base_url", "api_key", "organization_id")
    supports_certificate_verification = True

    def auth_headers(self) -> dict[str, str]:
        """Bearer key plus our partner (site) id."""
        return {
            "Authorization": f"Bearer {self.config.api_key}",
            "X-Partner-Id": self.config.organization_id,
        }

    def payload(self, response: PartnerResponse, *required: str) -> dict[str, Any]:
        """The object inside RISE Up's `data` envelope, with `required` keys present."""
        inner = self.data(response, "data")["data"]
        if not isinstance(inner, dict):
            raise self.invalid_answer(response, "answer data is not an object")
        missing = [key for key in required if inner.get(key) in (None, "")]
        if missing:
            raise self.invalid_answer(response, f"answer data lacks {', '.join(missing)}")
        return inner

    def create_account(self, *, student: StudentInfo, idempotency_key: str) -> AccountResult:
        """Create (or find, by e-mail) the RISE Up learner."""
        response = self.client.post(
            c.CREATE_LEARNER,
            operation="create_account",
            idempotency_key=idempotency_key,
            json={
                "firstName": student.first_name,
                "lastName": student.last_name,
                "email": student.email,
                "externalLearnerId": student.external_ref,
            },
        )
        body = self.payload(response, "learnerId")
        return AccountResult(
            external_id=str(body["learnerId"]),
            username=str(body.get("email") or ""),
            login_url=str(body.get("portalUrl") or ""),
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
        """Enrol a learner in a credential (`course_code` is the credential code).
        `options["voucher_code"]`, when given, pays for the credential exam."""
        payload: dict[str, Any] = {
            "learnerId": account_id,
            "credentialCode": course_code,
            "externalReference": reference,
        }
        voucher = (options or {}).get("voucher_code")
        if voucher:
            # Only sent when we have one: RISE Up reads an empty code as an invalid voucher.
            payload["voucherCode"] = str(voucher)
        response = self.client.post(
            c.ENROLL, operation="enroll", idempotency_key=idempotency_key, json=payload
        )
        body = self.payload(response, "enrollmentId")
        return EnrollmentResult(
            external_id=str(body["enrollmentId"]),
            status="active"
            if body.get("state") in (c.STATE_ENROLLED, c.STATE_IN_PROGRESS)
            else "submitted",
            launch_url=str(body.get("launchUrl") or ""),
            raw=body,
        )

    def get_progress(self, *, external_enrollment_id: str) -> ProgressResult:
        """Course progress plus the credential exam: COMPLETED means the exam was passed."""
        response = self.client.get(
            c.PROGRESS.format(id=external_enrollment_id), operation="get_progress"
        )
        body = self.payload(response, "state")
        exam = body.get("exam") if isinstance(body.get("exam"), Mapping) else {}
        completed = body["state"] == c.STATE_COMPLETED
        return ProgressResult(
            progress_percent=100 if completed else clamp_percent(body.get("percentComplete")) or 0,
            completed=completed,
            started=body["state"] in (c.STATE_IN_PROGRESS, c.STATE_COMPLETED),
            score=to_decimal(exam.get("score")),
            passed={c.EXAM_PASSED: True, c.EXAM_FAILED: False}.get(exam.get("status")),
            completed_at=parse_when(body.get("completedAt")),
            raw=body,
        )

    def get_certificate(self, *, external_enrollment_id: str) -> CertificateResult | None:
        """The credential's certificate, or None while it is not earned or its link is
        still PENDING. RISE Up answers 200 either way, so a 404 here means the enrollment
        itself is unknown and is raised."""
        response = self.client.get(
            c.CERTIFICATE.format(id=external_enrollment_id), operation="get_certificate"
        )
        body = self.payload(response, "status")
        if body["status"] != c.CERTIFICATE_ISSUED:
            return None
        body = self.payload(response, "credentialId", "issuedAt")
        return CertificateResult(
            number=str(body["credentialId"]),
            issued_at=self.required_date(response, body, "issuedAt"),
            expires_at=parse_when(body.get("expiresAt")),
            url=str(body.get("certificateUrl") or ""),
            verification_url=str(body.get("verificationUrl") or ""),
            raw=body,
        )

    def verify_certificate(self, *, number: str) -> VerificationResult:
        """Check a credential id with RISE Up: valid, expired or revoked. An unknown id
        is an answer (not valid), not an error."""
        try:
            response = self.client.get(
                c.VERIFY_CREDENTIAL.format(id=quote(number, safe="")),
                operation="verify_certificate",
            )
        except PartnerNotFoundError as exc:
            return VerificationResult(valid=False, status="not_found", raw={"error": exc.excerpt})
        body = self.payload(response, "status")
        status = str(body["status"])
        return VerificationResult(
            valid=status == c.CREDENTIAL_VALID, status=status.lower(), raw=body
        )

    def sso_launch_url(self, *, account_id: str, external_enrollment_id: str = "") -> LaunchResult:
        """An SSO token and the launch URL that carries it; it lives `expiresIn` seconds."""
        response = self.client.post(
            c.SSO_TOKEN,
            operation="sso_launch_url",
            json={"learnerId": account_id, "enrollmentId": external_enrollment_id},
        )
        body = self.payload(response, "launchUrl")
        return self.launch_result(body, "launchUrl", expires_in=body.get("expiresIn"))
