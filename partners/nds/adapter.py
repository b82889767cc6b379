"""NDS (National Drug Screening; drug-free workplace and DOT supervisor training):
X-API-Key + X-API-Secret + X-Client-Id.

Quirks: PascalCase bodies; progress is a status call, not a progress call; timestamps come
without an offset (taken as UTC); certificate expiry is per course: DOT supervisor
training (49 CFR 382.603) has none by rule, so `ExpiresOn` is null for it, while e.g. the
drug-free-workplace supervisor course expires after 12 months.
"""

from __future__ import annotations

from partners.base import PartnerAdapter
from partners.nds import constants as c


class NdsAdapter(PartnerAdapter):
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
        """Key and secret, plus our NDS client id (the organisation id setting)."""
        return {
            "X-API-Key": self.config.api_key,
            "X-API-Secret": self.config.api_secret,
            "X-Client-Id": self.config.organization_id,
        }
