"""CareerSafe (OSHA 10 / OSHA 30 online): X-API-Key + X-API-Secret + X-Organization-Code.

Quirks: a new member comes back with a temporary password, handed on once and never kept
(not even in `raw`); whole groups enrol in one call with a result per member; progress is
a gradebook status (Not Started, In Progress, Completed, Passed, Lapsed), where Lapsed
means the 180 days to finish ran out and is not a completion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from partners.base import PartnerAdapter, clamp_percent, parse_when, to_decimal
from partners.careersafe import constants as c
from partners.errors import PartnerNotFoundError
from partners.results import (
    AccountResult,
    CertificateResult,
    EnrollmentResult,
    GroupEnrollmentItem,
    LaunchResult,
    ProgressResult,
    StudentInfo,
)


def gradebook_progress(body: Mapping[str, Any]) -> ProgressResult:
    """A gradebook row → our progress. Only Completed and Passed finish a course; an
    unknown status is read like In Progress (kept in raw, never a crash)."""
    status = str(body.get("gradebook_status") or "")
    finished = status in c.FINISHED_STATUSES
    percent = clamp_percent(body.get("percent_complete")) or 0
    return ProgressResult(
        # 100 % is what downstream reads as done, so a lapsed or unknown row stays below.
        progress_percent=100 if finished else min(percent, 99),
        completed=finished,
        started=status in c.STARTED_STATUSES or percent > 0,
        score=to_decimal(body.get("final_exam_score")),
        passed=True if status == c.PASSED else None,
        completed_at=parse_when(body.get("completed_on")) if finished else None,
        raw=dict(body),
    )


class CareerSafeAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    required_settings = ("api_base_url", "api_key", "api_secret", "organization_id")
    supports_group_enrollment = True
    returns_temporary_password = True

    def auth_headers(self) -> dict[str, str]:
        return {
            "X-API-Key": self.config.api_key,
            "X-API-Secret": self.config.api_secret,
            "X-Organization-Code": self.config.organization_id,
        }

    def create_account(self, *, student: StudentInfo, idempotency_key: str) -> AccountResult:
        """Create (or find, by e-mail) the CareerSafe member. A new member's temporary
        password is returned in `temporary_password` only, for the caller to hand on once."""
        response = self.client.post(
            c.CREATE_MEMBER,
            operation="create_account",
            idempotency_key=idempotency_key,
            json={
                "first_name": student.first_name,
                "last_name": student.last_name,
                "email": student.email,
                "student_id": student.external_ref,
            },
        )
        body = self.data(response, "member_id")
        # Taken out of the body before it becomes `raw`, which callers store.
        password = body.pop(c.TEMPORARY_PASSWORD, None)
        return AccountResult(
            external_id=str(body["member_id"]),
            username=str(body.get("username") or ""),
            login_url=str(body.get("login_url") or ""),
            temporary_password=str(password) if password else None,
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
        """Assign a seat in `course_code` to a member; `options["group_code"]` takes the
        seat from that CareerSafe group (a cohort)."""
        payload: dict[str, Any] = {
            "member_id": account_id,
            "course_code": course_code,
            "reference": reference,
        }
        if options and options.get("group_code"):
            payload["group_code"] = str(options["group_code"])
        response = self.client.post(
            c.ENROLL, operation="enroll", idempotency_key=idempotency_key, json=payload
        )
        return self._enrollment(self.data(response, "enrollment_id"))

    def enroll_group(
        self, *, group_code: str, course_code: str, account_ids: list[str], idempotency_key: str
    ) -> list[GroupEnrollmentItem]:
        """Enrol several members through one group code. One item per account, in the
        order given: an enrollment, or the error CareerSafe gave for that member."""
        response = self.client.post(
            c.ENROLL_GROUP,
            operation="enroll_group",
            idempotency_key=idempotency_key,
            json={"group_code": group_code, "course_code": course_code, "member_ids": account_ids},
        )
        results = self.data(response, "results")["results"]
        if not isinstance(results, list):
            raise self.invalid_answer(response, "results is not a list")
        by_member = {
            str(item.get("member_id")): item for item in results if isinstance(item, Mapping)
        }
        items = []
        for account_id in account_ids:
            item = by_member.get(str(account_id))
            if item is None:
                items.append(GroupEnrollmentItem(account_id, error="no result for this member"))
            elif item.get("enrollment_id"):
                items.append(GroupEnrollmentItem(account_id, enrollment=self._enrollment(item)))
            else:
                code = item.get("error_code") or "failed"
                message = item.get("error_message") or ""
                items.append(GroupEnrollmentItem(account_id, error=f"{code}: {message}".strip()))
        return items

    def get_progress(self, *, external_enrollment_id: str) -> ProgressResult:
        """The member's gradebook row for this enrolment."""
        response = self.client.get(
            c.PROGRESS.format(id=external_enrollment_id), operation="get_progress"
        )
        return gradebook_progress(self.data(response, "gradebook_status"))

    def get_certificate(self, *, external_enrollment_id: str) -> CertificateResult | None:
        """The OSHA completion card, or None (CareerSafe answers 404) until it is issued."""
        try:
            response = self.client.get(
                c.CERTIFICATE.format(id=external_enrollment_id), operation="get_certificate"
            )
        except PartnerNotFoundError:
            return None  # not issued yet
        body = self.data(response, "card_number", "issued_on")
        issued_at = self.required_date(response, body, "issued_on")
        return CertificateResult(
            number=str(body["card_number"]),
            issued_at=issued_at,
            # DOL OSHA Outreach cards carry no expiry; an employer's refresher rule is a
            # course-validity setting on our side, not CareerSafe's.
            expires_at=parse_when(body.get("expires_on")),
            url=str(body.get("certificate_url") or ""),
            verification_url=str(body.get("verification_url") or ""),
            raw=body,
        )

    def sso_launch_url(self, *, account_id: str, external_enrollment_id: str = "") -> LaunchResult:
        """A short-lived sign-in link straight into the member's course."""
        response = self.client.post(
            c.SSO_LAUNCH,
            operation="sso_launch_url",
            json={"member_id": account_id, "enrollment_id": external_enrollment_id},
        )
        body = self.data(response, "launch_url")
        return self.launch_result(body, "launch_url", expires_at=body.get("expires_at"))

    def _enrollment(self, body: Mapping[str, Any]) -> EnrollmentResult:
        return EnrollmentResult(
            external_id=str(body["enrollment_id"]),
            status="active" if body.get("gradebook_status") in c.ACTIVE_STATUSES else "submitted",
            launch_url=str(body.get("launch_url") or ""),
            raw=dict(body),
        )
