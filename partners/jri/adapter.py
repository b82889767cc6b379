"""JRI (Job Ready Indy; custodial and job-readiness SCORM courses): key-only auth,
X-API-Key + X-Organization-Id, no secret.

Quirks: progress speaks SCORM 2004 (completion status, success status, progress measure
0..1, a score object with `scaled` -1..1); certificates can be verified by number;
bodies are snake_case and certificate dates are plain dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from partners.base import PartnerAdapter, clamp_percent, parse_when, to_decimal
from partners.errors import PartnerNotFoundError
from partners.jri import constants as c
from partners.results import (
    AccountResult,
    CertificateResult,
    EnrollmentResult,
    LaunchResult,
    ProgressResult,
    StudentInfo,
    VerificationResult,
)


def scorm_percent(progress_measure: Any) -> int | None:
    """cmi.progress_measure (0..1) as a percentage."""
    try:
        return clamp_percent(float(progress_measure) * 100)
    except (TypeError, ValueError):
        return None


def scorm_score(score: Any) -> Decimal | None:
    """The raw score when the package reports one, else the scaled score (-1..1) as a
    percentage: SCORM makes `raw` optional and `scaled` the one every package can set."""
    if not isinstance(score, Mapping):
        return None
    raw = to_decimal(score.get("raw"))
    if raw is not None:
        return raw
    scaled = to_decimal(score.get("scaled"))
    return None if scaled is None else scaled * 100


class JriAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    # No api_secret: JRI issues a key per organisation and nothing else.
    required_settings = ("api_base_url", "api_key", "organization_id")
    supports_certificate_verification = True

    def auth_headers(self) -> dict[str, str]:
        """The key and organisation id; never a secret, even when one is configured."""
        return {
            "X-API-Key": self.config.api_key,
            "X-Organization-Id": self.config.organization_id,
        }

    def create_account(self, *, student: StudentInfo, idempotency_key: str) -> AccountResult:
        """Create (or find, by e-mail) the student's JRI user."""
        response = self.client.post(
            c.CREATE_USER,
            operation="create_account",
            idempotency_key=idempotency_key,
            json={
                "first_name": student.first_name,
                "last_name": student.last_name,
                "email": student.email,
                "external_id": student.external_ref,
            },
        )
        body = self.data(response, "user_id")
        return AccountResult(
            external_id=str(body["user_id"]),
            username=str(body.get("username") or ""),
            login_url=str(body.get("login_url") or ""),
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
        """Enrol a JRI user in a course. JRI's courses are free: nothing but the course."""
        response = self.client.post(
            c.ENROLL,
            operation="enroll",
            idempotency_key=idempotency_key,
            json={
                "user_id": account_id,
                "course_code": course_code,
                "external_reference": reference,
            },
        )
        body = self.data(response, "enrollment_id")
        return EnrollmentResult(
            external_id=str(body["enrollment_id"]),
            status="active" if body.get("status") in ("enrolled", "in_progress") else "submitted",
            launch_url=str(body.get("launch_url") or ""),
            raw=body,
        )

    def get_progress(self, *, external_enrollment_id: str) -> ProgressResult:
        """SCORM run-time data mapped to our progress: a course counts as completed only
        when it is completed and not failed (a learner can finish a package and fail its
        post-test, which earns no certificate)."""
        response = self.client.get(
            c.PROGRESS.format(id=external_enrollment_id), operation="get_progress"
        )
        body = self.data(response, "completion_status")
        completion = body["completion_status"]
        success = body.get("success_status") or c.SUCCESS_UNKNOWN
        completed = completion == c.COMPLETION_COMPLETED and success != c.SUCCESS_FAILED
        return ProgressResult(
            progress_percent=100 if completed else scorm_percent(body.get("progress_measure")) or 0,
            completed=completed,
            started=completion != c.COMPLETION_NOT_ATTEMPTED,
            score=scorm_score(body.get("score")),
            passed={c.SUCCESS_PASSED: True, c.SUCCESS_FAILED: False}.get(success),
            completed_at=parse_when(body.get("completed_at")),
            raw=body,
        )

    def get_certificate(self, *, external_enrollment_id: str) -> CertificateResult | None:
        """The certificate, or None while JRI answers 404 (not issued yet)."""
        try:
            response = self.client.get(
                c.CERTIFICATE.format(id=external_enrollment_id), operation="get_certificate"
            )
        except PartnerNotFoundError:
            return None
        body = self.data(response, "certificate_number", "issued_on")
        return CertificateResult(
            number=str(body["certificate_number"]),
            issued_at=self.required_date(response, body, "issued_on"),
            # JRI's certificates do not expire today; take a date if JRI ever sends one.
            expires_at=parse_when(body.get("expires_on")),
            url=str(body.get("pdf_url") or ""),
            verification_url=str(body.get("verify_url") or ""),
            raw=body,
        )

    def verify_certificate(self, *, number: str) -> VerificationResult:
        """Ask JRI whether a certificate number is genuine. An unknown number is an
        answer (not valid), not an error."""
        try:
            response = self.client.get(
                c.VERIFY_CERTIFICATE.format(number=quote(number, safe="")),
                operation="verify_certificate",
            )
        except PartnerNotFoundError as exc:
            return VerificationResult(valid=False, status="not_found", raw={"error": exc.excerpt})
        body = self.data(response, "status")
        return VerificationResult(
            valid=body.get("valid") is True, status=str(body["status"]), raw=body
        )

    def sso_launch_url(self, *, account_id: str, external_enrollment_id: str = "") -> LaunchResult:
        """A signed-in launch URL for the user (and course, when named), valid until
        JRI's `valid_until`."""
        response = self.client.post(
            c.SSO_LAUNCH,
            operation="sso_launch_url",
            json={"user_id": account_id, "enrollment_id": external_enrollment_id},
        )
        body = self.data(response, "launch_url")
        return self.launch_result(body, "launch_url", expires_at=body.get("valid_until"))
