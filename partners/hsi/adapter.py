"""HSI (ASHI / MEDIC First Aid, LMS "Otis"): X-API-Key + X-API-Secret + X-Organization-Id.

Quirks: the enrolment type depends on the course (RSV vs blended); cards carry an expiry
date, which the certificate answer gives (`expirationDate`).
"""

from __future__ import annotations

from typing import Any

from partners.base import PartnerAdapter, clamp_percent, parse_when
from partners.errors import PartnerNotFoundError
from partners.hsi import constants as c
from partners.results import (
    AccountResult,
    CertificateResult,
    EnrollmentResult,
    LaunchResult,
    ProgressResult,
    StudentInfo,
)


def enrollment_type(course_code: str) -> str:
    return c.ENROLLMENT_TYPE_RSV if "RSV" in course_code.upper() else c.ENROLLMENT_TYPE_BLENDED


class HsiAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    required_settings = ("api_base_url", "api_key", "api_secret", "organization_id")

    def auth_headers(self) -> dict[str, str]:
        return {
            "X-API-Key": self.config.api_key,
            "X-API-Secret": self.config.api_secret,
            "X-Organization-Id": self.config.organization_id,
        }

    def create_account(self, *, student: StudentInfo, idempotency_key: str) -> AccountResult:
        response = self.client.post(
            c.CREATE_STUDENT,
            operation="create_account",
            idempotency_key=idempotency_key,
            json={
                "firstName": student.first_name,
                "lastName": student.last_name,
                "email": student.email,
                "externalId": student.external_ref,
            },
        )
        body = self.data(response, "studentId")
        return AccountResult(
            external_id=str(body["studentId"]),
            username=str(body.get("username") or ""),
            login_url=str(body.get("loginUrl") or ""),
            raw=body,
        )

    def enroll(
        self, *, account_id, course_code, reference, idempotency_key, options=None
    ) -> EnrollmentResult:
        response = self.client.post(
            c.ENROLL,
            operation="enroll",
            idempotency_key=idempotency_key,
            json={
                "studentId": account_id,
                "courseCode": course_code,
                "enrollmentType": enrollment_type(course_code),
                "externalReference": reference,
            },
        )
        body = self.data(response, "enrollmentId")
        return EnrollmentResult(
            external_id=str(body["enrollmentId"]),
            status="active" if body.get("status") in ("enrolled", "in_progress") else "submitted",
            launch_url=str(body.get("launchUrl") or ""),
            raw=body,
        )

    def get_progress(self, *, external_enrollment_id: str) -> ProgressResult:
        response = self.client.get(
            c.PROGRESS.format(id=external_enrollment_id), operation="get_progress"
        )
        body = self.data(response, "percentComplete")
        completed = body.get("status") == "completed"
        return ProgressResult(
            progress_percent=100 if completed else clamp_percent(body["percentComplete"]) or 0,
            completed=completed,
            started=body.get("status") in ("in_progress", "completed"),
            completed_at=parse_when(body.get("completedDate")),
            raw=body,
        )

    def get_certificate(self, *, external_enrollment_id: str) -> CertificateResult | None:
        try:
            response = self.client.get(
                c.CERTIFICATE.format(id=external_enrollment_id), operation="get_certificate"
            )
        except PartnerNotFoundError:
            return None  # not issued yet
        body: dict[str, Any] = self.data(response, "cardNumber", "issueDate")
        return CertificateResult(
            number=str(body["cardNumber"]),
            issued_at=self.required_date(response, body, "issueDate"),
            expires_at=parse_when(body.get("expirationDate")),
            url=str(body.get("certificateUrl") or ""),
            verification_url=str(body.get("validationUrl") or ""),
            raw=body,
        )

    def sso_launch_url(self, *, account_id: str, external_enrollment_id: str = "") -> LaunchResult:
        response = self.client.post(
            c.SSO_LAUNCH,
            operation="sso_launch_url",
            json={"studentId": account_id, "enrollmentId": external_enrollment_id},
        )
        body = self.data(response, "launchUrl")
        return self.launch_result(body, "launchUrl", expires_at=body.get("expiresAt"))
