"""CareerSafe (OSHA 10 / OSHA 30 online): X-API-Key + X-API-Secret + X-Organization-Code.

Quirks: a new member comes back with a temporary password, handed on once and never kept
(not even in `raw`); whole groups enrol in one call with a result per member; progress is
a gradebook status (Not Started, In Progress, Completed, Passed, Lapsed), where Lapsed
means the 180 days to finish ran out and is not a completion.
"""

from __future__ import annotations

from collections.abc import Mapping

from partners.base import PartnerAdapter
from partners.careersafe import constants as c
from partners.results import GroupEnrollmentItem


class CareerSafeAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    required_settings = ("api_base_url", "api_key", "api_secret", "organization_id")
    supports_group_enrollment = True
    paths = c.PATHS
    account_fields = c.ACCOUNT_FIELDS
    enrollment_fields = c.ENROLLMENT_FIELDS
    progress_fields = c.PROGRESS_FIELDS
    certificate_fields = c.CERTIFICATE_FIELDS
    launch_fields = c.LAUNCH_FIELDS

    def auth_headers(self) -> dict[str, str]:
        return {
            "X-API-Key": self.config.api_key,
            "X-API-Secret": self.config.api_secret,
            "X-Organization-Code": self.config.organization_id,
        }

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
                items.append(
                    GroupEnrollmentItem(account_id, enrollment=self.enrollment_result(item))
                )
            else:
                code = item.get("error_code") or "failed"
                message = item.get("error_message") or ""
                items.append(GroupEnrollmentItem(account_id, error=f"{code}: {message}".strip()))
        return items
