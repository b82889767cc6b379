"""NDS (National Drug Screening; drug-free workplace and DOT supervisor training):
X-API-Key + X-API-Secret + X-Client-Id.

Quirks: PascalCase bodies; progress is a status call, not a progress call; timestamps come
without an offset (taken as UTC); certificate expiry is per course: DOT supervisor
training (49 CFR 382.603) has none by rule, so `ExpiresOn` is null for it, while e.g. the
drug-free-workplace supervisor course expires after 12 months.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from partners.base import PartnerAdapter, clamp_percent, parse_when, to_decimal
from partners.errors import PartnerNotFoundError
from partners.nds import constants as c
from partners.results import (
    AccountResult,
    CertificateResult,
    EnrollmentResult,
    LaunchResult,
    ProgressResult,
    StudentInfo,
)


class NdsAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    required_settings = ("api_base_url", "api_key", "api_secret", "organization_id")

    def auth_headers(self) -> dict[str, str]:
        """Key and secret, plus our NDS client id (the organisation id setting)."""
        return {
            "X-API-Key": self.config.api_key,
            "X-API-Secret": self.config.api_secret,
            "X-Client-Id": self.config.organization_id,
        }

    def create_account(self, *, student: StudentInfo, idempotency_key: str) -> AccountResult:
        """Create (or find, by e-mail) the NDS participant."""
        response = self.client.post(
            c.CREATE_PARTICIPANT,
            operation="create_account",
            idempotency_key=idempotency_key,
            json={
                "FirstName": student.first_name,
                "LastName": student.last_name,
                "Email": student.email,
                "ExternalId": student.external_ref,
            },
        )
        body = self.data(response, "ParticipantId")
        return AccountResult(
            external_id=str(body["ParticipantId"]),
            username=str(body.get("Email") or ""),
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
        """Assign a course to a participant."""
        response = self.client.post(
            c.ENROLL,
            operation="enroll",
            idempotency_key=idempotency_key,
            json={
                "ParticipantId": account_id,
                "CourseId": course_code,
                "ClientReference": reference,
            },
        )
        body = self.data(response, "EnrollmentId")
        return EnrollmentResult(
            external_id=str(body["EnrollmentId"]),
            status="active"
            if body.get("Status") in (c.STATUS_ASSIGNED, c.STATUS_IN_PROGRESS)
            else "submitted",
            launch_url=str(body.get("CourseUrl") or ""),
            raw=body,
        )

    def get_progress(self, *, external_enrollment_id: str) -> ProgressResult:
        """The enrollment's status call, read as progress."""
        response = self.client.get(
            c.STATUS.format(id=external_enrollment_id), operation="get_progress"
        )
        body = self.data(response, "Status")
        status = body["Status"]
        completed = status == c.STATUS_COMPLETED
        passed = body.get("Passed")
        return ProgressResult(
            progress_percent=100 if completed else clamp_percent(body.get("PercentComplete")) or 0,
            completed=completed,
            started=status != c.STATUS_ASSIGNED,
            score=to_decimal(body.get("Score")),
            passed=passed if isinstance(passed, bool) else None,
            # Offset-less, like every NDS timestamp: parse_when takes it as UTC.
            completed_at=parse_when(body.get("CompletedOn")),
            raw=body,
        )

    def get_certificate(self, *, external_enrollment_id: str) -> CertificateResult | None:
        """The certificate, or None while NDS answers 404 (not issued yet). A null
        `ExpiresOn` is NDS saying the certificate does not expire (DOT supervisor
        training); it stays None, and only the course's own validity can add one."""
        try:
            response = self.client.get(
                c.CERTIFICATE.format(id=external_enrollment_id), operation="get_certificate"
            )
        except PartnerNotFoundError:
            return None
        body = self.data(response, "CertificateNumber", "IssuedOn")
        return CertificateResult(
            number=str(body["CertificateNumber"]),
            issued_at=self.required_date(response, body, "IssuedOn"),
            expires_at=parse_when(body.get("ExpiresOn")),
            url=str(body.get("CertificateUrl") or ""),
            verification_url=str(body.get("VerificationUrl") or ""),
            raw=body,
        )

    def sso_launch_url(self, *, account_id: str, external_enrollment_id: str = "") -> LaunchResult:
        """A signed-in launch URL for the participant, valid until `ExpiresUtc`."""
        response = self.client.post(
            c.SSO_LAUNCH,
            operation="sso_launch_url",
            json={"ParticipantId": account_id, "EnrollmentId": external_enrollment_id},
        )
        body = self.data(response, "LaunchUrl")
        return self.launch_result(body, "LaunchUrl", expires_at=body.get("ExpiresUtc"))
