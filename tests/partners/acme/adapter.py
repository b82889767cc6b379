"""Acme Safety Academy (made up): everything is the base's flow over constants.py; only
the auth headers are Acme's own."""

from partners.base import PartnerAdapter
from tests.partners.acme import constants as c


class AcmeAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    paths = c.PATHS
    account_fields = c.ACCOUNT_FIELDS
    enrollment_fields = c.ENROLLMENT_FIELDS
    progress_fields = c.PROGRESS_FIELDS
    certificate_fields = c.CERTIFICATE_FIELDS
    launch_fields = c.LAUNCH_FIELDS

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Token {self.config.api_key}",
            "X-Org-Id": self.config.organization_id,
        }
