"""The only code that speaks HTTP to a partner.

One `PartnerClient` per partner wraps a requests Session with timeouts, retries
(tenacity), a circuit breaker (pybreaker) and typed errors, and reports every attempt
through `partners.signals.partner_call_attempted`.

Retry policy: at most `max_attempts` attempts; connection errors, timeouts, 408, 429 and
5xx are retried with exponential backoff (1 s, 2 s, 4 s, each with up to 25 % jitter);
`Retry-After` (seconds or an HTTP date) replaces the backoff up to `retry_after_cap`,
beyond which the call fails at once as rate-limited carrying the wait, so the caller can
reschedule instead of holding a worker. Other 4xx are never retried. POST and PATCH are
retried only when they carry an `Idempotency-Key`. A caller that can reschedule itself
(provisioning, a Celery task) asks for one attempt per call (`retry_in_call=False` in
partners.context) and waits `retry_delay()` off the worker: a slot never sleeps.

A call that cannot be made (no base URL, a credential the adapter needs is not set) raises
`PartnerConfigurationError` naming the variable before anything is sent: it is not
retried, not counted by the breaker and not a request log, since no request exists.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pybreaker
import requests
from django.conf import settings
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from partners.breakers import breaker_for
from partners.config import PartnerConfigurationError, setting_name
from partners.context import current_call_context
from partners.errors import (
    PartnerCircuitOpenError,
    PartnerError,
    PartnerInvalidResponseError,
    PartnerRateLimitedError,
    PartnerTimeoutError,
    PartnerTransientError,
    PartnerUnavailableError,
    error_for_status,
)
from partners.redaction import redact_body, redact_headers, redact_url
from partners.signals import CallRecord, partner_call_attempted

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
EXCERPT_CHARS = 300


@dataclass(frozen=True)
class PartnerResponse:
    status: int
    headers: Mapping[str, str]
    content: bytes
    partner: str = ""
    operation: str = ""

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON, or PartnerInvalidResponseError naming what came instead."""
        try:
            import json

            return json.loads(self.content or b"null")
        except ValueError as exc:
            raise PartnerInvalidResponseError(
                "the answer is not valid JSON",
                partner=self.partner,
                operation=self.operation,
                status=self.status,
                excerpt=self.text[:EXCERPT_CHARS],
            ) from exc


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class _Backoff:
    """tenacity wait: Retry-After when the partner sent one, else base · 2^(n-1) + jitter."""

    base: float
    cap: float
    jitter: float = 0.25
    rng: Callable[[float, float], float] = field(default=random.uniform)

    def __call__(self, retry_state) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        return self.seconds(retry_state.attempt_number, exc)

    def seconds(self, attempt: int, exc: BaseException | None) -> float:
        """The wait after attempt number `attempt` failed with `exc`."""
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, self.cap)
        delay = self.base * 2 ** (attempt - 1)
        return delay + self.rng(0, delay * self.jitter)


def _outcome_for(status: int) -> str:
    if status < 400:
        return "success"
    return "client_error" if status < 500 else "server_error"


class PartnerClient:
    """HTTP to one partner. `secrets` are values (API key, secret) that must never reach
    a log, whatever field they turn up in."""

    def __init__(
        self,
        *,
        partner: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 3,
        backoff_base: float = 1.0,
        retry_after_cap: float | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        missing_settings: Iterable[str] = (),
        breaker: str | None = None,
    ):
        self.partner = partner
        # The breaker is the host's, the request log the partner's. Usually both are the
        # partner; a call to a third party on a partner's behalf (Credly, for the badges a
        # partner issues) names that party's breaker, so its outage never refuses the
        # partner's own calls (docs/architecture.md, "Calls to a third party").
        self.breaker = breaker or partner
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.secrets = tuple(s for s in secrets if s)
        self.timeout = (connect_timeout, read_timeout)
        self.max_attempts = max(1, max_attempts)
        self.retry_after_cap = (
            settings.PARTNER_RETRY_AFTER_CAP_SECONDS if retry_after_cap is None else retry_after_cap
        )
        self.backoff = _Backoff(base=backoff_base, cap=self.retry_after_cap)
        self.session = session or requests.Session()
        self.sleep = sleep
        self.body_limit = settings.PARTNER_LOG_BODY_CHARS
        # Variables the adapter needs and that are not set (PartnerConfig.missing_settings).
        self.missing_settings = tuple(missing_settings)

    # -- public -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> PartnerResponse:
        """Send one logical call (possibly several attempts); return the 2xx/3xx answer
        or raise a PartnerError (PartnerConfigurationError when it cannot be sent)."""
        self._check_configuration()
        method = method.upper()
        url = f"{self.base_url}/{path.lstrip('/')}"
        context = current_call_context()
        all_headers = {**self.headers, **(headers or {}), "X-Request-Id": context.correlation_id}
        if idempotency_key:
            all_headers["Idempotency-Key"] = idempotency_key
        may_retry = method in IDEMPOTENT_METHODS or bool(idempotency_key)
        retrying = Retrying(
            stop=stop_after_attempt(
                self.max_attempts if may_retry and context.retry_in_call else 1
            ),
            wait=self.backoff,
            retry=retry_if_exception(self._worth_retrying),
            sleep=self.sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return self._attempt(
                    method,
                    url,
                    operation=operation,
                    attempt=attempt.retry_state.attempt_number,
                    json=json,
                    params=params,
                    headers=all_headers,
                    context=context,
                )
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def get(self, path: str, *, operation: str, **kwargs) -> PartnerResponse:
        return self.request("GET", path, operation=operation, **kwargs)

    def post(self, path: str, *, operation: str, **kwargs) -> PartnerResponse:
        return self.request("POST", path, operation=operation, **kwargs)

    def retry_delay(self, attempt: int, error: PartnerError) -> float | None:
        """For a caller that retries by rescheduling itself (`retry_in_call=False` in
        partners.context): seconds to wait before attempt `attempt + 1` after attempt
        `attempt` failed with `error`, by the same policy as the retries in a call; None
        when the error is not worth retrying or the attempts are spent."""
        if attempt >= self.max_attempts or not self._worth_retrying(error):
            return None
        return self.backoff.seconds(attempt, error)

    # -- one attempt ------------------------------------------------------------------

    def _check_configuration(self) -> None:
        """Refuse a call that cannot be made, naming what to set. Without this an empty
        base URL fails in requests (MissingSchema) as if the partner were unreachable,
        which is retried, opens the breaker and reschedules an enrolment forever."""
        missing = list(self.missing_settings)
        base_url = setting_name(self.partner, "api_base_url")
        if not self.base_url and base_url not in missing:
            missing.insert(0, base_url)
        if missing:
            names = ", ".join(missing[:-1]) + " and " + missing[-1] if missing[1:] else missing[0]
            verb = "are" if missing[1:] else "is"
            raise PartnerConfigurationError(
                self.partner, f"{names} {verb} not set: no request was sent"
            )
        if not self.base_url.startswith(("http://", "https://")):
            raise PartnerConfigurationError(
                self.partner,
                f"{base_url}={self.base_url!r} is not an http(s) URL: no request was sent",
            )

    def _worth_retrying(self, exc: BaseException) -> bool:
        if not isinstance(exc, PartnerTransientError) or isinstance(exc, PartnerCircuitOpenError):
            return False
        retry_after = getattr(exc, "retry_after", None)
        return retry_after is None or retry_after <= self.retry_after_cap

    def _attempt(self, method, url, *, operation, attempt, context, **kwargs) -> PartnerResponse:
        try:
            return breaker_for(self.breaker).call(
                self._send,
                method,
                url,
                operation=operation,
                attempt=attempt,
                context=context,
                **kwargs,
            )
        except pybreaker.CircuitBreakerError as exc:
            self._report(
                method,
                url,
                operation=operation,
                attempt=attempt,
                context=context,
                outcome="refused",
                duration_ms=0,
                error=PartnerCircuitOpenError("circuit open"),
                request_headers=kwargs["headers"],
                request_body=kwargs.get("json"),
            )
            raise PartnerCircuitOpenError(
                "circuit breaker is open: the partner failed repeatedly, no request was sent",
                partner=self.partner,
                operation=operation,
            ) from exc

    def _transport_error(self, exc: requests.RequestException, operation: str) -> PartnerError:
        """No answer: a timeout (connecting or waiting), or any other transport failure."""
        if isinstance(exc, requests.ConnectTimeout):
            message = f"could not connect within {self.timeout[0]:g} s"
        elif isinstance(exc, requests.Timeout):
            message = f"no answer within {self.timeout[1]:g} s"
        else:
            return PartnerUnavailableError(
                f"could not reach the partner: {type(exc).__name__}",
                partner=self.partner,
                operation=operation,
            )
        return PartnerTimeoutError(message, partner=self.partner, operation=operation)

    def _send(
        self, method, url, *, operation, attempt, context, json, params, headers
    ) -> PartnerResponse:
        started = time.perf_counter()
        report = dict(
            operation=operation,
            attempt=attempt,
            context=context,
            request_headers=headers,
            request_body=json,
        )
        try:
            raw = self.session.request(
                method, url, json=json, params=params, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            error = self._transport_error(exc, operation)
            self._report(
                method,
                url,
                outcome="transport_error",
                duration_ms=_ms(started),
                error=error,
                **report,
            )
            raise error from exc

        duration = _ms(started)
        response = PartnerResponse(
            status=raw.status_code,
            headers=dict(raw.headers),
            content=raw.content,
            partner=self.partner,
            operation=operation,
        )
        error: PartnerError | None = None
        if raw.status_code >= 400:
            error = self._error_for(response, operation)
        self._report(
            method,
            raw.url or url,
            outcome=_outcome_for(raw.status_code),
            duration_ms=duration,
            error=error,
            response=response,
            **report,
        )
        if error is not None:
            raise error
        return response

    def _error_for(self, response: PartnerResponse, operation: str) -> PartnerError:
        cls = error_for_status(response.status)
        excerpt = redact_body(response.content, self.secrets, limit=EXCERPT_CHARS)
        kwargs = dict(
            partner=self.partner, operation=operation, status=response.status, excerpt=excerpt
        )
        if cls is PartnerRateLimitedError or response.status == 503:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if cls is PartnerRateLimitedError:
                message = "rate limited"
                if retry_after is not None and retry_after > self.retry_after_cap:
                    message = (
                        f"rate limited for {retry_after:.0f} s, "
                        f"beyond the {self.retry_after_cap:.0f} s we wait"
                    )
                return PartnerRateLimitedError(message, retry_after=retry_after, **kwargs)
            error = cls("partner unavailable", **kwargs)
            error.retry_after = retry_after
            return error
        return cls(f"partner answered {response.status}", **kwargs)

    # -- the one hook -------------------------------------------------------------------

    def _report(
        self,
        method,
        url,
        *,
        operation,
        attempt,
        context,
        outcome,
        duration_ms,
        error=None,
        response: PartnerResponse | None = None,
        request_headers=None,
        request_body=None,
    ) -> None:
        record = CallRecord(
            partner=self.partner,
            operation=operation,
            method=method,
            url=redact_url(url, self.secrets),
            outcome=outcome,
            duration_ms=duration_ms,
            attempt=attempt,
            status_code=response.status if response else None,
            error_class=type(error).__name__ if error else "",
            error_message=str(error)[:1000] if error else "",
            correlation_id=context.correlation_id,
            enrollment_id=context.enrollment_id,
            request_headers=redact_headers(request_headers or {}, self.secrets),
            request_body=redact_body(_json_text(request_body), self.secrets, self.body_limit),
            response_headers=redact_headers(response.headers, self.secrets) if response else {},
            response_body=redact_body(response.content, self.secrets, self.body_limit)
            if response
            else "",
        )
        try:
            partner_call_attempted.send(sender=PartnerClient, record=record)
        except Exception:  # a receiver's failure must never fail the partner call
            logger.exception("A partner_call_attempted receiver failed")


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _json_text(body: Any) -> str:
    if body is None:
        return ""
    import json

    return json.dumps(body, default=str)
