"""The adapter base: it owns every call's flow; a partner package declares the rest.

A partner package (`partners/<slug>/`) declares its partner's paths and field names
(partners/contract.py) and its auth headers; the base sends each call through the client
(idempotent creates carry the caller's Idempotency-Key), checks the answer, reads the
declared fields into the typed results of partners/results.py (keeping the answer in
`raw`), maps the partner's statuses, reads a 404 on a certificate as "not issued yet",
and verifies and parses spec-v1 webhooks. An adapter overrides a step only where its
partner differs, with a comment saying why. Unsupported operations raise
`UnsupportedOperation`; they never silently do nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from django.utils import timezone

from partners import webhook_signing
from partners.client import PartnerClient, PartnerResponse
from partners.config import PartnerConfig
from partners.contract import (
    AccountFields,
    CertificateFields,
    EnrollmentFields,
    LaunchFields,
    Paths,
    ProgressFields,
    ProgressState,
    clamp_percent,
    lookup,
    parse_when,
    to_decimal,
)
from partners.errors import PartnerInvalidResponseError, PartnerNotFoundError, UnsupportedOperation
from partners.events import EventSource, EventType, PartnerEvent
from partners.results import (
    AccountResult,
    CertificateResult,
    EnrollmentRequest,
    EnrollmentResult,
    EnrollmentState,
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

    # What the partner package declares (partners/contract.py).
    paths: ClassVar[Paths]
    account_fields: ClassVar[AccountFields]
    enrollment_fields: ClassVar[EnrollmentFields]
    progress_fields: ClassVar[ProgressFields]
    certificate_fields: ClassVar[CertificateFields]
    launch_fields: ClassVar[LaunchFields]

    # Capability: enrollments/services/cohorts.py enrols a cohort in one `enroll_group`
    # call when the partner has it.
    supports_group_enrollment: ClassVar[bool] = False

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

    def auth_headers(self) -> dict[str, str]:
        raise NotImplementedError

    # -- the calls every partner has ------------------------------------------------------

    def create_account(self, *, student: StudentInfo, idempotency_key: str) -> AccountResult:
        """Create (or find, by e-mail) the student's account at the partner. A new
        account's temporary password is returned in `temporary_password` only, for the
        caller to hand on once."""
        f = self.account_fields
        response = self.client.post(
            self.paths.create_account,
            operation="create_account",
            idempotency_key=idempotency_key,
            json={
                f.first_name: student.first_name,
                f.last_name: student.last_name,
                f.email: student.email,
                f.external_ref: student.external_ref,
            },
        )
        body = self.answer(response, f.id)
        # Taken out of the body before it becomes `raw`, which callers store.
        password = body.pop(f.temporary_password, None) if f.temporary_password else None
        return AccountResult(
            external_id=str(body[f.id]),
            username=str(lookup(body, f.username) or ""),
            login_url=str(lookup(body, f.login_url) or ""),
            temporary_password=str(password) if password else None,
            raw=body,
        )

    def enroll(self, *, request: EnrollmentRequest) -> EnrollmentResult:
        """Enrol an existing partner account in a course, sent with the request's
        idempotency key so a retry never makes a second enrolment."""
        response = self.client.post(
            self.paths.enroll,
            operation="enroll",
            idempotency_key=request.idempotency_key,
            json=self.enrollment_payload(request),
        )
        return self.enrollment_result(self.answer(response, self.enrollment_fields.id))

    def get_progress(self, *, external_enrollment_id: str) -> ProgressResult:
        return self.read_progress(
            self.progress_answer(external_enrollment_id, self.progress_fields.status)
        )

    def get_certificate(self, *, external_enrollment_id: str) -> CertificateResult | None:
        """The certificate, or None when the partner has not issued one yet."""
        f = self.certificate_fields
        path = self.paths.certificate.format(id=external_enrollment_id)
        if f.status:
            response = self.client.get(path, operation="get_certificate")
            if self.answer(response, f.status)[f.status] != f.issued:
                return None
        else:
            try:
                response = self.client.get(path, operation="get_certificate")
            except PartnerNotFoundError:
                return None  # not issued yet
        body = self.answer(response, f.number, f.issued_at)
        return CertificateResult(
            number=str(body[f.number]),
            issued_at=self.required_date(response, body, f.issued_at),
            expires_at=parse_when(lookup(body, f.expires_at)),
            url=str(lookup(body, f.url) or ""),
            verification_url=str(lookup(body, f.verification_url) or ""),
            raw=body,
        )

    def sso_launch_url(self, *, account_id: str, external_enrollment_id: str = "") -> LaunchResult:
        """A time-limited URL that signs the student in and opens the course."""
        f = self.launch_fields
        response = self.client.post(
            self.paths.sso_launch,
            operation="sso_launch_url",
            json={f.account_id: account_id, f.enrollment_id: external_enrollment_id},
        )
        body = self.answer(response, f.url)
        if f.token:
            body.pop(f.token, None)
        return self.launch_result(
            body,
            f.url,
            expires_at=lookup(body, f.expires_at),
            expires_in=lookup(body, f.expires_in),
        )

    # -- the steps an adapter may override ------------------------------------------------

    def answer(self, response: PartnerResponse, *required: str) -> dict[str, Any]:
        """The object the partner answered, with `required` keys present (see `data`);
        a partner that wraps its answers overrides this to unwrap them."""
        return self.data(response, *required)

    def enrollment_payload(self, request: EnrollmentRequest) -> dict[str, Any]:
        """The enrolment body: the request in the partner's field names."""
        f = self.enrollment_fields
        payload: dict[str, Any] = {
            f.account_id: request.account_id,
            f.course_code: request.course_code,
            f.reference: request.reference,
        }
        for extra, partner_name in f.extras.items():
            value = str(getattr(request, extra) or "").strip()
            if value:
                payload[partner_name] = value
        return payload

    def enrollment_result(self, body: Mapping[str, Any]) -> EnrollmentResult:
        f = self.enrollment_fields
        return EnrollmentResult(
            external_id=str(body[f.id]),
            status=(
                EnrollmentState.ACTIVE
                if lookup(body, f.status) in f.active
                else EnrollmentState.SUBMITTED
            ),
            launch_url=str(lookup(body, f.launch_url) or ""),
            raw=dict(body),
        )

    def progress_answer(self, external_enrollment_id: str, *required: str) -> dict[str, Any]:
        response = self.client.get(
            self.paths.progress.format(id=external_enrollment_id), operation="get_progress"
        )
        return self.answer(response, *required)

    def read_progress(self, body: Mapping[str, Any]) -> ProgressResult:
        """The partner's progress answer, read through `progress_fields`: completion is
        the partner's completed status, never inferred from its percentage."""
        f = self.progress_fields
        state = f.states.get(str(lookup(body, f.status)), ProgressState.UNKNOWN)
        completed = state is ProgressState.COMPLETED
        percent = clamp_percent(lookup(body, f.percent)) or 0
        passed = lookup(body, f.passed)
        if f.passed_values:
            passed = f.passed_values.get(passed) if isinstance(passed, str) else None
        return ProgressResult(
            progress_percent=(
                100 if completed else min(percent, 99) if f.unfinished_below_100 else percent
            ),
            completed=completed,
            started=completed or state is ProgressState.STARTED or percent > 0,
            score=to_decimal(lookup(body, f.score)),
            passed=passed if isinstance(passed, bool) else None,
            completed_at=parse_when(lookup(body, f.completed_at)) if completed else None,
            raw=dict(body),
        )

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
        """Ask the partner whether a certificate number is genuine (`paths.verify_certificate`
        and `read_verification` declare how). An unknown number is an answer (not valid),
        not an error."""
        if not self.paths.verify_certificate:
            raise UnsupportedOperation(
                f"{self.name} has no certificate verification", partner=self.slug
            )
        try:
            response = self.client.get(
                self.paths.verify_certificate.format(number=quote(number, safe="")),
                operation="verify_certificate",
            )
        except PartnerNotFoundError as exc:
            return VerificationResult(valid=False, status="not_found", raw={"error": exc.excerpt})
        return self.read_verification(self.answer(response, "status"))

    def read_verification(self, body: dict[str, Any]) -> VerificationResult:
        raise NotImplementedError

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
