"""The adapter base: what every partner package implements, and the flow they share.

A partner package (`partners/<slug>/`) fills in paths, headers and field names; the base
owns the client, the settings, webhook verification and the spec-v1 webhook parser.
Unsupported operations raise `UnsupportedOperation`; they never silently do nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from partners import webhook_signing
from partners.client import PartnerClient, PartnerResponse
from partners.config import PartnerConfig
from partners.errors import PartnerInvalidResponseError, UnsupportedOperation
from partners.events import EventSource, EventType, PartnerEvent
from partners.results import (
    AccountResult,
    CertificateResult,
    EnrollmentResult,
    GroupEnrollmentItem,
    LaunchResult,
    ProgressResult,
    StudentInfo,
    VerificationResult,
    VoucherResult,
)


class PartnerAdapter:
    slug: ClassVar[str]
    name: ClassVar[str]
    # Settings (`<SLUG>_<NAME>`) an `api`-mode partner cannot work without.
    required_settings: ClassVar[tuple[str, ...]] = ("api_base_url", "api_key", "organization_id")

    # Capabilities: callers check these before calling the matching extra.
    supports_group_enrollment: ClassVar[bool] = False
    supports_vouchers: ClassVar[bool] = False
    supports_promo_codes: ClassVar[bool] = False
    supports_certificate_verification: ClassVar[bool] = False
    returns_temporary_password: ClassVar[bool] = False

    def __init__(self, config: PartnerConfig, *, client: PartnerClient | None = None):
        self.config = config
        self.client = client or PartnerClient(
            partner=self.slug,
            base_url=config.base_url,
            headers=self.auth_headers(),
            secrets=config.secrets,
            read_timeout=config.timeout,
            max_attempts=config.max_retries,
            missing_settings=config.missing_settings(self.required_settings),
        )

    # -- what each partner fills in --------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        raise NotImplementedError

    def create_account(self, *, student: StudentInfo, idempotency_key: str) -> AccountResult:
        """Create the student's account at the partner."""
        raise NotImplementedError

    def enroll(
        self,
        *,
        account_id: str,
        course_code: str,
        reference: str,
        idempotency_key: str,
        options: Mapping[str, Any] | None = None,
    ) -> EnrollmentResult:
        """Enrol an existing partner account in a course. `reference` is our enrollment
        id; `options` carries partner extras (voucher code, promo code, group code)."""
        raise NotImplementedError

    def get_progress(self, *, external_enrollment_id: str) -> ProgressResult:
        raise NotImplementedError

    def get_certificate(self, *, external_enrollment_id: str) -> CertificateResult | None:
        """The certificate, or None when the partner has not issued one yet."""
        raise NotImplementedError

    def sso_launch_url(self, *, account_id: str, external_enrollment_id: str = "") -> LaunchResult:
        """A time-limited URL that signs the student in and opens the course."""
        raise NotImplementedError

    # -- extras (override where the partner has them) -------------------------------------

    def enroll_group(
        self, *, group_code: str, course_code: str, account_ids: list[str], idempotency_key: str
    ) -> list[GroupEnrollmentItem]:
        raise UnsupportedOperation(f"{self.name} has no group enrolment", partner=self.slug)

    def generate_voucher(
        self, *, course_code: str, account_id: str, idempotency_key: str
    ) -> VoucherResult:
        raise UnsupportedOperation(f"{self.name} does not issue vouchers", partner=self.slug)

    def verify_certificate(self, *, number: str) -> VerificationResult:
        raise UnsupportedOperation(
            f"{self.name} has no certificate verification", partner=self.slug
        )

    # -- webhooks (spec v1 by default) ---------------------------------------------------

    def verify_webhook(
        self, *, headers: Mapping[str, str], body: bytes, now: float | None = None
    ) -> str:
        """Return the webhook id, or raise webhook_signing.WebhookVerificationError."""
        return webhook_signing.verify(headers, body, self.config.webhook_secrets, now=now)

    def parse_webhook(self, *, payload: Mapping[str, Any], webhook_id: str) -> list[PartnerEvent]:
        """Spec v1: {"type", "timestamp", "data": {enrollment_id, progress_percent, score,
        passed, completed_at, certificate: {...}}} → canonical events."""
        if not isinstance(payload, Mapping):
            raise PartnerInvalidResponseError(
                "webhook body is not a JSON object", partner=self.slug
            )
        data = payload.get("data") or {}
        if not isinstance(data, Mapping):
            raise PartnerInvalidResponseError("webhook data is not an object", partner=self.slug)
        event_type = EventType.parse(payload.get("type"))
        problems: list[str] = []

        def when(value: Any, name: str) -> datetime | None:
            parsed = parse_when(value)
            if value not in (None, "") and parsed is None:
                problems.append(f"{name} {str(value)!r:.60} is not a date")
            return parsed

        occurred_at = when(payload.get("timestamp"), "timestamp") or timezone.now()
        certificate = None
        if isinstance(data.get("certificate"), Mapping) and data["certificate"].get("number"):
            cert = data["certificate"]
            certificate = CertificateResult(
                number=str(cert["number"]),
                issued_at=when(cert.get("issued_at"), "certificate issued_at") or occurred_at,
                expires_at=when(cert.get("expires_at"), "certificate expires_at"),
                url=str(cert.get("url") or ""),
                verification_url=str(cert.get("verification_url") or ""),
                raw=dict(cert),
            )
        score = to_decimal(data.get("score"))
        if score is None and data.get("score") not in (None, ""):
            problems.append(f"score {str(data.get('score'))!r:.60} is not a number")
        passed = data.get("passed")
        if passed is not None and not isinstance(passed, bool):
            problems.append(f"passed {str(passed)!r:.60} is not true or false")
            passed = None
        progress = self.webhook_progress(data)
        if progress is None and data.get("progress_percent") not in (None, ""):
            problems.append(
                f"progress_percent {str(data.get('progress_percent'))!r:.60} is not a number"
            )
        return [
            PartnerEvent(
                type=event_type,
                partner=self.slug,
                occurred_at=occurred_at,
                external_enrollment_id=str(data.get("enrollment_id") or ""),
                student_ref=str(data.get("student_ref") or ""),
                course_code=str(data.get("course_code") or ""),
                progress_percent=progress,
                score=score,
                passed=passed,
                completed_at=when(data.get("completed_at"), "completed_at"),
                certificate=certificate,
                source=EventSource.WEBHOOK,
                event_id=webhook_id,
                raw=dict(payload),
                problems=tuple(problems),
            )
        ]

    def webhook_progress(self, data: Mapping[str, Any]) -> int | None:
        return clamp_percent(data.get("progress_percent"))

    # -- helpers for partner packages -------------------------------------------------

    def data(self, response: PartnerResponse, *required: str) -> dict[str, Any]:
        """The JSON object of an answer, with `required` keys present, or
        PartnerInvalidResponseError naming what is missing."""
        body = response.json()
        if not isinstance(body, dict):
            raise self.invalid_answer(response, "expected a JSON object")
        missing = [key for key in required if body.get(key) in (None, "")]
        if missing:
            raise self.invalid_answer(response, f"answer lacks {', '.join(missing)}")
        return body

    def required_date(
        self, response: PartnerResponse, body: Mapping[str, Any], key: str
    ) -> datetime:
        """body[key] as an aware date-time (see parse_when), or
        PartnerInvalidResponseError saying it is not a date."""
        when = parse_when(body.get(key))
        if when is None:
            raise self.invalid_answer(response, f"{key} is not a date: {body.get(key)!r}")
        return when

    def invalid_answer(
        self, response: PartnerResponse, message: str
    ) -> PartnerInvalidResponseError:
        """The error for an answer we cannot use, with what a person needs to see why."""
        return PartnerInvalidResponseError(
            message,
            partner=self.slug,
            operation=response.operation,
            status=response.status,
            excerpt=response.text[:200],
        )

    def launch_result(
        self, body: Mapping[str, Any], url_key: str, *, expires_at=None, expires_in=None
    ) -> LaunchResult:
        when = parse_when(expires_at) if expires_at else None
        if when is None:
            when = timezone.now() + timedelta(seconds=int(expires_in or 300))
        return LaunchResult(url=str(body[url_key]), expires_at=when, raw=dict(body))


def parse_when(value: Any) -> datetime | None:
    """ISO 8601 date-time or date (as midnight UTC); naive times are taken as UTC. None
    for anything else, a well-formed but impossible date (2026-02-30) included."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, timezone.UTC)
    text = str(value)
    try:
        when = parse_datetime(text)
        if when is None:
            day = parse_date(text)
            if day is None:
                return None
            when = datetime(day.year, day.month, day.day)
    except ValueError:
        return None
    return when if timezone.is_aware(when) else timezone.make_aware(when, timezone.UTC)


def to_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def clamp_percent(value: Any) -> int | None:
    """A percentage from a partner, as an int within 0-100 (None when absent or junk)."""
    if value is None or value == "":
        return None
    try:
        return max(0, min(100, round(float(value))))
    except (TypeError, ValueError, OverflowError):  # junk, NaN, infinity
        return None
