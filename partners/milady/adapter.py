"""Milady (Cengage): `Authorization: Bearer <key>` + `X-School-Id` (our school's id).

Quirks: PascalCase fields; timestamps come without a UTC offset and are read as UTC; an
enrolment can carry a school promo code (an unknown one is refused with 422); a
certificate not issued yet is a 200 with `CertificateStatus: "NotIssued"`, so a 404 on the
certificate call really means the enrolment is unknown and is raised.
"""

from __future__ import annotations

from partners.base import PartnerAdapter
from partners.milady import constants as c


class MiladyAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    # The bearer key and the school id; Milady's assumed contract has no API secret.
    required_settings = ("api_base_url", "api_key", "organization_id")
    paths = c.PATHS
    account_fields = c.ACCOUNT_FIELDS
    enrollment_fields = c.ENROLLMENT_FIELDS
    progress_fields = c.PROGRESS_FIELDS
    certificate_fields = c.CERTIFICATE_FIELDS
    launch_fields = c.LAUNCH_FIELDS

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.config.api_key}",
            "X-School-Id": self.config.organization_id,
        }
