"""HSI (ASHI / MEDIC First Aid, LMS "Otis"): X-API-Key + X-API-Secret + X-Organization-Id.

Quirks: the enrolment type depends on the course (RSV vs blended); cards carry an expiry
date, which the certificate answer gives (`expirationDate`).

Every call is the base's flow (partners/base.py) over the names in constants.py; the one
override is the enrolment type.
"""

from __future__ import annotations

from typing import Any

from partners.base import PartnerAdapter
from partners.hsi import constants as c
from partners.results import EnrollmentRequest


def enrollment_type(course_code: str) -> str:
    return c.ENROLLMENT_TYPE_RSV if "RSV" in course_code.upper() else c.ENROLLMENT_TYPE_BLENDED


class HsiAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    required_settings = ("api_base_url", "api_key", "api_secret", "organization_id")
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
            "X-Organization-Id": self.config.organization_id,
        }

    def enrollment_payload(self, request: EnrollmentRequest) -> dict[str, Any]:
        """HSI wants the enrolment type, which follows from the course (RSV or blended)."""
        return super().enrollment_payload(request) | {
            "enrollmentType": enrollment_type(request.course_code)
        }
