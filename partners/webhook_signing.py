"""Standard Webhooks signing and verification (spec v1 of our inbound webhooks).

Headers `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
(space-separated `v1,<base64 HMAC-SHA256>`), over `<id>.<timestamp>.<raw body>`, with a
`whsec_<base64>` secret. Several secrets may be valid at once (rotation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping

TOLERANCE_SECONDS = 300


class WebhookVerificationError(Exception):
    """Why a delivery was refused. `reason` is one of missing_headers, stale_timestamp,
    bad_signature (the delivery verdicts)."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


def _key(secret: str) -> bytes:
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a webhook secret must be whsec_ followed by base64") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one secret."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


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
    raise WebhookVerificationError otherwise. Comparison is constant-time."""
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
    for secret in secrets:
        try:
            expected = sign(secret, msg_id, sent_at, body).split(",", 1)[1].encode()
        except ValueError:
            continue  # a misconfigured secret never matches; checks report it
        for candidate in offered:
            # No early exit: every pair is compared, so timing says nothing.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise WebhookVerificationError("bad_signature", "no valid signature for this partner")
    return msg_id
