"""NRF Foundation RISE Up (retail credentials): Authorization: Bearer <key> +
X-Partner-Id, no secret.

Quirks: every answer is wrapped in `{"data": {...}}`; enums are upper case; enrolment may
carry a voucher code; a credential's certificate link arrives one to two days after the
exam (the certificate answer says PENDING until then); credentials last three years and
can be verified (valid, expired, revoked); SSO hands out a token, a launch URL and its
lifetime in seconds.
"""

from __future__ import annotations

from typing import Any

from partners.base import PartnerAdapter
from partners.client import PartnerResponse
from partners.nrf import constants as c
from partners.results import VerificationResult


class NrfAdapter(PartnerAdapter):
    slug = c.SLUG
    name = c.NAME
    # The bearer key and partner id are all RISE Up issues; no secret.
    required_settings = ("api_base_url", "api_key", "organization_id")
    paths = c.PATHS
    account_fields = c.ACCOUNT_FIELDS
    enrollment_fields = c.ENROLLMENT_FIELDS
    progress_fields = c.PROGRESS_FIELDS
    certificate_fields = c.CERTIFICATE_FIELDS
    launch_fields = c.LAUNCH_FIELDS

    def auth_headers(self) -> dict[str, str]:
        """Bearer key plus our partner (site) id."""
        return {
            "Authorization": f"Bearer {self.config.api_key}",
            "X-Partner-Id": self.config.organization_id,
        }

    def answer(self, response: PartnerResponse, *required: str) -> dict[str, Any]:
        """The object inside RISE Up's `data` envelope, with `required` keys present."""
        inner = self.data(response, "data")["data"]
        if not isinstance(inner, dict):
            raise self.invalid_answer(response, "answer data is not an object")
        missing = [key for key in required if inner.get(key) in (None, "")]
        if missing:
            raise self.invalid_answer(response, f"answer data lacks {', '.join(missing)}")
        return inner

    def read_verification(self, body: dict[str, Any]) -> VerificationResult:
        """A credential is valid, expired or revoked; only VALID is valid."""
        status = str(body["status"])
        return VerificationResult(
            valid=status == c.CREDENTIAL_VALID, status=status.lower(), raw=body
        )
