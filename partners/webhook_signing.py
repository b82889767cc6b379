"""Standard Webhooks signing and verification (spec v1 of our inbound webhooks).

Headers `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
(space-separated `v1,<base64 HMAC-SHA256>`), over `<id>.<timestamp>.<raw body>`, with a
`whsec_<base64>` secret. Several secrets may be valid at once (rotation).

A secret is only used when it is valid: `whsec_` followed by strict base64 of at least
MIN_KEY_BYTES bytes (Standard Webhooks secrets are 24 to 64). `whsec_` alone decodes to
an empty HMAC key, which anyone can sign with; a partner whose configured secrets include
such a one is refused as "not_configured" until an operator fixes it, never verified with
the others meanwhile (`manage.py check` names the variable and the entry).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from functools import lru_cache

TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 24


class WebhookVerificationError(Exception):
    """Why a delivery was refused. `reason` is one of missing_headers, stale_timestamp,
    bad_signature, not_configured (the delivery verdicts)."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


def secret_problem(secret: str) -> str | None:
    """What is wrong with a webhook secret, in words that never repeat it; None when it
    is valid."""
    if not secret.startswith(SECRET_PREFIX):
        return f"does not start with {SECRET_PREFIX}"
    encoded = secret[len(SECRET_PREFIX) :]
    if not encoded:
        return f"is empty after {SECRET_PREFIX}"
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return f"is not valid base64 after {SECRET_PREFIX}"
    if len(key) < MIN_KEY_BYTES:
        return f"decodes to {len(key)} bytes; at least {MIN_KEY_BYTES} are needed"
    return None


def secret_problems(secrets: Iterable[str]) -> list[tuple[int, str]]:
    """(position from 1, problem) for each invalid secret of a list."""
    return [
        (position, problem)
        for position, secret in enumerate(secrets, 1)
        if (problem := secret_problem(secret)) is not None
    ]


def _key(secret: str) -> bytes:
    """The HMAC key of a valid secret; ValueError (saying why, not what) otherwise."""
    problem = secret_problem(secret)
    if problem is not None:
        raise ValueError(f"the webhook secret {problem}")
    return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)


@lru_cache(maxsize=64)
def _keys(secrets: tuple[str, ...]) -> tuple[bytes, ...]:
    """A partner's keys, decoded once per process (the same tuple comes with every
    delivery). Raises not_configured if any secret is invalid: exceptions are not cached,
    and a fixed configuration is a new tuple."""
    problems = secret_problems(secrets)
    if problems:
        which = ", ".join(f"secret {position} {problem}" for position, problem in problems)
        raise WebhookVerificationError(
            "not_configured", f"a configured webhook secret is invalid ({which})"
        )
    return tuple(_key(secret) for secret in secrets)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one secret (ValueError if it is invalid)."""
    return "v1," + _signature(_key(secret), msg_id, timestamp, body).decode()


def _signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    content = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest())


def signed_headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Iterable[str],
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """Return the webhook id when one of `secrets` signed this body within the tolerance;
    raise WebhookVerificationError otherwise. Comparison is constant-time.

    Any invalid secret among `secrets` refuses the delivery as not_configured before
    anything else is looked at: a key like `whsec_` (empty) would verify forgeries. No
    secrets at all is only a bad signature (nothing is meant to arrive)."""
    keys = _keys(tuple(secrets))
    msg_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise WebhookVerificationError(
            "missing_headers", "webhook-id, webhook-timestamp and webhook-signature are required"
        )
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookVerificationError(
            "stale_timestamp", "webhook-timestamp is not Unix seconds"
        ) from None
    now = time.time() if now is None else now
    if abs(now - sent_at) > tolerance:
        raise WebhookVerificationError(
            "stale_timestamp", f"webhook-timestamp is more than {tolerance} s from our clock"
        )
    offered = [
        part.split(",", 1)[1].encode()
        for part in signatures.split()
        if part.startswith("v1,") and len(part) > 3
    ]
    matched = False
    for key in keys:
        expected = _signature(key, msg_id, sent_at, body)
        for candidate in offered:
            # No early exit: every pair is compared, so timing says nothing.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise WebhookVerificationError("bad_signature", "no valid signature for this partner")
    return msg_id
