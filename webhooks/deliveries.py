"""Receiving a partner's webhook: one WebhookDelivery per request, valid or not, and one
WebhookEvent per distinct (partner, webhook-id).

The partner is the one named in the URL; its adapter verifies the signature (every
current secret of that partner only) and reads the body. Nothing here calls a partner or
touches an enrollment: processing is enqueued once the event row is committed.

A delivery whose signature was not proven is a stranger's as far as we know: its row
keeps the first REFUSED_BODY_BYTES of the body with the digest and length of all of it,
and such refusals are counted per partner (webhooks.refusals) so that a flood is answered
429 without a row each. A verified delivery is never counted nor cut further than
WEBHOOK_DELIVERY_BODY_CHARS.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from partners.base import PartnerAdapter
from partners.config import PartnerConfigurationError, setting_name
from partners.errors import PartnerInvalidResponseError
from partners.events import EventType
from partners.models import Partner
from partners.redaction import redact_headers
from partners.registry import UnknownPartner
from partners.webhook_signing import WebhookVerificationError, secret_problems
from webhooks.models import DeliveryVerdict, EventStatus, WebhookDelivery, WebhookEvent
from webhooks.partner_lookup import SLUG_CHARS, adapter_for, partner_for_slug
from webhooks.publishing import enqueue_processing
from webhooks.refusals import refusal_count
from webhooks.storage import event_insert_once

logger = logging.getLogger(__name__)

# Spec v1: a body over 1 MiB is refused (413) before it is read.
MAX_BODY_BYTES = 1024 * 1024

STATUS_CODES: dict[str, int] = {
    DeliveryVerdict.ACCEPTED: 200,
    DeliveryVerdict.DUPLICATE: 200,
    DeliveryVerdict.IGNORED: 200,
    DeliveryVerdict.BAD_SIGNATURE: 400,
    DeliveryVerdict.MISSING_HEADERS: 400,
    DeliveryVerdict.STALE_TIMESTAMP: 400,
    DeliveryVerdict.INVALID_JSON: 400,
    DeliveryVerdict.UNKNOWN_PARTNER: 404,
    DeliveryVerdict.METHOD_NOT_ALLOWED: 405,
    DeliveryVerdict.TOO_LARGE: 413,
    DeliveryVerdict.RATE_LIMITED: 429,
    # Our webhook secrets for the partner are invalid: nothing can be verified until an
    # operator fixes them, so the partner must send it again.
    DeliveryVerdict.NOT_CONFIGURED: 503,
    # The event could not be stored: the partner must send it again.
    DeliveryVerdict.ERROR: 503,
}

# Columns' lengths (WebhookDelivery / WebhookEvent): longer values are cut, never a crash.
WEBHOOK_ID_CHARS = 255
DETAIL_CHARS = 500
EVENT_TYPE_CHARS = 64
# What a refused delivery keeps of its body (with the SHA-256 and length of all of it)
# and of its headers: strangers' requests cost the table a few KiB each, at most.
REFUSED_BODY_BYTES = 2048
REFUSED_HEADER_CHARS = 2048
# The rows whose body is kept as a partner sent it (up to WEBHOOK_DELIVERY_BODY_CHARS).
WHOLE_BODY_VERDICTS = frozenset(
    {
        DeliveryVerdict.ACCEPTED,
        DeliveryVerdict.DUPLICATE,
        DeliveryVerdict.IGNORED,
        DeliveryVerdict.ERROR,
    }
)
NOT_CONFIGURED_DETAIL = (
    "Signatures cannot be checked now: our configuration for this partner is being fixed. "
    "Retry later."
)


@dataclass(frozen=True)
class IncomingDelivery:
    """One request as it arrived. `body` holds at most MAX_BODY_BYTES; `too_large` says the
    rest was never read."""

    partner_slug: str
    method: str
    headers: Mapping[str, str]
    body: bytes = b""
    body_size: int = 0
    too_large: bool = False
    source_ip: str | None = None


@dataclass(frozen=True)
class Receipt:
    verdict: str
    detail: str = ""
    delivery_id: int | None = None
    event_id: int | None = None
    retry_after: int | None = None  # seconds, sent as Retry-After

    @property
    def status_code(self) -> int:
        return STATUS_CODES[self.verdict]

    @property
    def answer(self) -> dict[str, str]:
        """The response body spec v1 promises partners."""
        if self.status_code == 200:
            return {"status": self.verdict}
        return {"error": self.verdict, "detail": self.detail}


def delivery_receive(incoming: IncomingDelivery) -> Receipt:
    """Check, store and answer one request to /webhooks/partners/<slug>/ (DESIGN §6).

    Every outcome leaves a WebhookDelivery row; an accepted event is committed before
    this returns, with its processing enqueued after the commit."""
    slug = incoming.partner_slug
    try:
        partner = partner_for_slug(slug)
    except DatabaseError:
        # The database is down: no row can be written either. The partner retries.
        logger.exception("Webhook for %s not stored: the database is unavailable", slug[:64])
        return Receipt(DeliveryVerdict.ERROR, "Not stored (database unavailable): retry.")
    intake = _Intake(incoming, partner)

    if incoming.method != "POST":
        return intake.refuse(DeliveryVerdict.METHOD_NOT_ALLOWED, "Only POST is accepted.")
    if incoming.too_large:
        return intake.refuse(DeliveryVerdict.TOO_LARGE, f"The body is over {MAX_BODY_BYTES} bytes.")
    if partner is None or not partner.active:
        return intake.refuse(DeliveryVerdict.UNKNOWN_PARTNER, f"No active partner {slug!r}.")
    try:
        adapter = intake.adapter = adapter_for(partner)
    except UnknownPartner:
        return intake.refuse(DeliveryVerdict.UNKNOWN_PARTNER, f"No adapter for {slug!r}.")
    except PartnerConfigurationError:
        logger.exception("Webhook for %s refused: its configuration is invalid", slug)
        return intake.refuse(DeliveryVerdict.NOT_CONFIGURED, NOT_CONFIGURED_DETAIL)
    except Exception as exc:
        # Our configuration is broken (PartnerConfigurationError): nothing can be checked,
        # so the partner must retry once it is fixed. What is wrong is for our log only.
        logger.exception("Webhook for %s refused: adapter unavailable", slug)
        return intake.refuse(
            DeliveryVerdict.ERROR, f"Signatures cannot be checked now ({type(exc).__name__})."
        )

    try:
        webhook_id = adapter.verify_webhook(headers=incoming.headers, body=incoming.body)
    except WebhookVerificationError as exc:
        if exc.reason == DeliveryVerdict.NOT_CONFIGURED:
            # What is wrong is for our log and `manage.py check`, not for the sender.
            problems = secret_problems(adapter.config.webhook_secrets)
            logger.error(
                "Webhook for %s refused: %s has invalid entries %s; run manage.py check",
                slug,
                setting_name(slug, "webhook_secrets"),
                ", ".join(f"{position} ({problem})" for position, problem in problems),
            )
            return intake.refuse(DeliveryVerdict.NOT_CONFIGURED, NOT_CONFIGURED_DETAIL)
        verdict = exc.reason if exc.reason in STATUS_CODES else DeliveryVerdict.BAD_SIGNATURE
        return intake.refuse(verdict, str(exc))
    except Exception as exc:
        # A partner-specific verifier (or a library such as standardwebhooks) may raise a
        # plain ValueError on a malformed header: that is still a bad signature.
        return intake.refuse(DeliveryVerdict.BAD_SIGNATURE, f"Signature unreadable: {exc}")
    intake.verified = True
    if len(webhook_id) > WEBHOOK_ID_CHARS:
        return intake.refuse(
            DeliveryVerdict.MISSING_HEADERS,
            f"webhook-id is longer than {WEBHOOK_ID_CHARS} characters.",
        )
    intake.webhook_id = webhook_id

    try:
        payload = json.loads(incoming.body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        return intake.refuse(DeliveryVerdict.INVALID_JSON, f"The body is not JSON: {exc}")
    if not isinstance(payload, dict):
        return intake.refuse(DeliveryVerdict.INVALID_JSON, "The body is not a JSON object.")
    if b"\\u0000" in incoming.body:
        payload = _without_nul(payload)  # PostgreSQL's jsonb cannot hold U+0000

    try:
        event_type, occurred_at, handled = _classify(adapter, payload, webhook_id)
    except PartnerInvalidResponseError as exc:
        return intake.refuse(DeliveryVerdict.INVALID_JSON, str(exc))
    return intake.store_event(
        payload=payload, event_type=event_type, occurred_at=occurred_at, handled=handled
    )


def _classify(
    adapter: PartnerAdapter, payload: dict[str, Any], webhook_id: str
) -> tuple[str, datetime | None, bool]:
    """(event type to show, when it happened, whether any of it is a type we handle).

    Parsing is local work, done here so an unknown type is answered "ignored" at once.
    A parser bug must not lose the delivery: the event is then stored as received and
    its processing fails with the traceback, to be replayed once the parser is fixed."""
    raw_type = str(payload.get("type") or "")[:EVENT_TYPE_CHARS]
    try:
        events = adapter.parse_webhook(payload=payload, webhook_id=webhook_id)
    except PartnerInvalidResponseError:
        raise
    except Exception:
        logger.exception("Parsing webhook %s from %s failed", webhook_id, adapter.slug)
        return raw_type, None, True
    known = [e for e in events if e.type != EventType.UNKNOWN]
    if not known:
        occurred_at = events[0].occurred_at if events else None
        return raw_type or EventType.UNKNOWN.value, occurred_at, False
    return str(known[0].type), known[0].occurred_at, True


class _Intake:
    """One request on its way to its rows."""

    def __init__(self, incoming: IncomingDelivery, partner: Partner | None):
        self.incoming = incoming
        self.partner = partner
        self.adapter: PartnerAdapter | None = None
        self.verified = False  # the signature is proven: the partner sent it
        self.webhook_id = ""  # set once the signature proved it (and it fits its column)

    def store_event(
        self,
        *,
        payload: dict[str, Any],
        event_type: str,
        occurred_at: datetime | None,
        handled: bool,
    ) -> Receipt:
        verdict = DeliveryVerdict.ACCEPTED if handled else DeliveryVerdict.IGNORED
        event = {
            "partner_id": self.partner.pk,
            "webhook_id": self.webhook_id,
            "event_type": event_type,
            "occurred_at": occurred_at,
            "payload": payload,
            "status": EventStatus.RECEIVED if handled else EventStatus.IGNORED,
            "processed_at": None if handled else timezone.now(),
        }
        try:
            inserted = event_insert_once(event=event, delivery=self.delivery_row(verdict, ""))
        except Exception as exc:
            return self.store_failed(exc)
        if inserted is not None:
            event_id, delivery_id = inserted
            if handled:
                # robust: a broker that is down must not turn a stored event into a 5xx;
                # the reconcile job picks up events left "received".
                transaction.on_commit(partial(enqueue_processing, event_id), robust=True)
            return Receipt(verdict, delivery_id=delivery_id, event_id=event_id)

        # A concurrent copy of this event waited on the unique index until the first copy
        # committed; that row is visible to a new statement.
        try:
            existing = (
                WebhookEvent.objects.filter(partner=self.partner, webhook_id=self.webhook_id)
                .only("pk")
                .get()
            )
            delivery = self.delivery(DeliveryVerdict.DUPLICATE, "", existing)
            delivery.save(force_insert=True)
        except Exception as exc:
            return self.store_failed(exc)
        return Receipt(DeliveryVerdict.DUPLICATE, delivery_id=delivery.pk, event_id=existing.pk)

    def store_failed(self, exc: Exception) -> Receipt:
        logger.error(
            "Webhook %s from %s could not be stored",
            self.webhook_id,
            self.incoming.partner_slug,
            exc_info=exc,
        )
        return self.refuse(DeliveryVerdict.ERROR, f"Not stored ({type(exc).__name__}): retry.")

    def refuse(self, verdict: str, detail: str) -> Receipt:
        """Record a delivery that created no event. If even that row cannot be written the
        answer is still the refusal: the partner resending would not help.

        Unverified refusals are counted first: over the partner's limit the answer is
        429, with one row for the window (the first over it) and none after."""
        retry_after = None
        if not self.verified:
            counted = refusal_count(self.partner.slug if self.partner is not None else None)
            if counted is not None and counted.limited:
                retry_after = counted.retry_after
                limited = (
                    f"Over {counted.limit} refused deliveries in this period; retry after "
                    f"{retry_after} s. (This one: {verdict}.)"
                )
                if not counted.first_limited:
                    return Receipt(DeliveryVerdict.RATE_LIMITED, limited, retry_after=retry_after)
                logger.warning(
                    "Webhook refusals for %s over %d: further ones for %d s are not stored",
                    self.incoming.partner_slug[:SLUG_CHARS],
                    counted.limit,
                    retry_after,
                )
                verdict, detail = DeliveryVerdict.RATE_LIMITED, limited
        delivery = self.delivery(verdict, detail, None)
        try:
            delivery.save(force_insert=True)
        except DatabaseError:
            logger.exception("Webhook delivery record (%s) could not be stored", verdict)
            return Receipt(verdict, delivery.detail, retry_after=retry_after)
        return Receipt(verdict, delivery.detail, delivery_id=delivery.pk, retry_after=retry_after)

    def delivery(self, verdict: str, detail: str, event: WebhookEvent | None) -> WebhookDelivery:
        return WebhookDelivery(**self.delivery_row(verdict, detail), event=event)

    def delivery_row(self, verdict: str, detail: str) -> dict[str, Any]:
        incoming = self.incoming
        # Before verification the id is only what the sender claimed; still worth a search.
        webhook_id = self.webhook_id or _header(incoming.headers, "webhook-id")
        row = {
            "partner_slug": _clean(incoming.partner_slug)[:SLUG_CHARS],
            "partner_id": self.partner.pk if self.partner is not None else None,
            "method": _clean(incoming.method)[:10],
            "source_ip": incoming.source_ip,
            "webhook_id": _clean(webhook_id)[:WEBHOOK_ID_CHARS],
            "body_size": incoming.body_size,
            "verdict": verdict,
            "detail": _clean(detail)[:DETAIL_CHARS],
            "response_status": STATUS_CODES[verdict],
        }
        if self.verified and verdict in WHOLE_BODY_VERDICTS:
            row["headers"] = self.stored_headers()
            row["body"], row["body_truncated"] = _bounded_body(incoming, None)
        else:
            row["headers"] = _bounded_headers(self.stored_headers(), REFUSED_HEADER_CHARS)
            row["body"], row["body_truncated"] = _bounded_body(incoming, REFUSED_BODY_BYTES)
            if incoming.body:
                row["body_sha256"] = hashlib.sha256(incoming.body).hexdigest()
        return row

    def stored_headers(self) -> dict[str, str]:
        headers = self.incoming.headers
        # Known secret values are scrubbed too, wherever a partner put them.
        secrets = self.adapter.config.secrets if self.adapter is not None else ()
        stored = redact_headers(headers, secrets)
        for name, value in headers.items():
            # A signature is an HMAC of public content, not a secret; keeping it lets staff
            # tell a wrong secret from a changed body.
            if name.lower() == "webhook-signature":
                stored[name] = value
        return {_clean(k): _clean(v) for k, v in stored.items()}


def _bounded_body(incoming: IncomingDelivery, max_bytes: int | None) -> tuple[str, bool]:
    """(text kept, whether it was cut): WEBHOOK_DELIVERY_BODY_CHARS characters, and no
    more than the first `max_bytes` bytes when given."""
    limit = settings.WEBHOOK_DELIVERY_BODY_CHARS
    # Decoding never needs more than 4 bytes per character kept.
    take = limit * 4 if max_bytes is None else min(limit * 4, max_bytes)
    raw = incoming.body[:take]
    if len(raw) == len(incoming.body):
        text = _clean(raw.decode("utf-8", errors="replace"))
    else:
        # A character cut in two by the limit is left out, not shown as U+FFFD.
        text = _clean(codecs.getincrementaldecoder("utf-8")(errors="replace").decode(raw))
    cut = incoming.too_large or len(raw) < len(incoming.body) or len(text) > limit
    return text[:limit], cut


def _bounded_headers(headers: dict[str, str], budget: int) -> dict[str, str]:
    """At most `budget` characters of names and values, the signature headers first (they
    say why a delivery was refused); a stranger's padding is dropped."""
    kept: dict[str, str] = {}
    ordered = sorted(headers.items(), key=lambda item: not item[0].lower().startswith("webhook-"))
    for name, value in ordered:
        if budget <= 0:
            break
        name = name[:budget]
        value = value[: max(0, budget - len(name))]
        kept[name] = value
        budget -= len(name) + len(value)
    return kept


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def _clean(text: str) -> str:
    # PostgreSQL text columns refuse NUL characters.
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {_clean(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value
