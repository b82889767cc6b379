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

from partners.base import PartnerAdapter
from partners.contract import clamp_percent, parse_when, to_decimal
from partners.jri import constants as c
from partners.results import ProgressResult, VerificationResult


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
    paths = c.PATHS
    account_fields = c.ACCOUNT_FIELDS
    enrollment_fields = c.ENROLLMENT_FIELDS
    certificate_fields = c.CERTIFICATE_FIELDS
    launch_fields = c.LAUNCH_FIELDS

    def auth_headers(self) -> dict[str, str]:
        """The key and organisation id; never a secret, even when one is configured."""
        return {
            "X-API-Key": self.config.api_key,
            "X-Organization-Id": self.config.organization_id,
        }

    def get_progress(self, *, external_enrollment_id: str) -> ProgressResult:
        """SCORM run-time data mapped to our progress: two statuses, not one, so read
        here. A course counts as completed only when it is completed and not failed (a
        learner can finish a package and fail its post-test, which earns no certificate)."""
        body = self.progress_answer(external_enrollment_id, "completion_status")
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

    def read_verification(self, body: dict[str, Any]) -> VerificationResult:
        """JRI says `valid` itself, beside its status."""
        return VerificationResult(
            valid=body.get("valid") is True, status=str(body["status"]), raw=body
        )
