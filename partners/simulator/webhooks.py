"""The simulator's outgoing webhooks: spec v1, Standard Webhooks signed, sent to our
receiver at SITE_URL/webhooks/partners/<slug>/ once the state change has committed."""

from __future__ import annotations

import json
import logging
import uuid

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from partners.config import get_partner_config
from partners.redaction import redact_data
from partners.simulator.models import SimEnrollment, SimWebhook
from partners.webhook_signing import signed_headers

logger = logging.getLogger(__name__)


def event_body(event_type: str, row: SimEnrollment) -> dict:
    data: dict = {
        "enrollment_id": row.external_id,
        "progress_percent": row.progress,
        "score": float(row.score) if row.score is not None else None,
        "passed": row.passed,
        "completed_at": row.completed_at.isoformat() if row.completed_at else None,
    }
    if event_type == "certificate.issued" and row.certificate_number:
        base = f"{settings.SITE_URL.rstrip('/')}/simulator/{row.partner}"
        data["certificate"] = {
            "number": row.certificate_number,
            "issued_at": row.certificate_issued_at.isoformat(),
            "expires_at": row.certificate_expires_at.isoformat()
            if row.certificate_expires_at
            else None,
            "url": f"{base}/certificates/{row.certificate_number}.pdf",
            "verification_url": f"{base}/verify/{row.certificate_number}",
        }
    return {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}


def receiver_url(partner: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/webhooks/partners/{partner}/"


def send(partner: str, body: dict, *, webhook_id: str | None = None) -> SimWebhook:
    """Sign `body` with the partner's first webhook secret and POST it; record the try."""
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    raw = json.dumps(body).encode()
    secret = get_partner_config(partner).webhook_secrets[0]
    record = SimWebhook(
        partner=partner,
        webhook_id=webhook_id,
        event_type=body.get("type", ""),
        url=receiver_url(partner),
        body=redact_data(body),  # what was sent, as any stored body: redacted
    )
    try:
        response = requests.post(
            record.url, data=raw, headers=signed_headers(secret, webhook_id, raw), timeout=(5, 30)
        )
        record.response_status = response.status_code
    except requests.RequestException as exc:
        record.error = f"{type(exc).__name__}: {exc}"[:500]
        logger.warning("Simulator could not deliver %s to %s: %s", webhook_id, record.url, exc)
    record.save()
    return record


def send_events_on_commit(row: SimEnrollment, event_types: list[str]) -> None:
    """Queue one webhook per event, sent in order after the current transaction commits."""
    if not event_types:
        return
    row = SimEnrollment.objects.get(pk=row.pk)
    bodies = [event_body(t, row) for t in event_types]

    def deliver():
        for body in bodies:
            send(row.partner, body)

    transaction.on_commit(deliver)
