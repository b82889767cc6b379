"""A test webhook: a sample spec-v1 event signed with a partner's current secret, sent to
our own receiver (or handed to the partner as a curl line), then the delivery it left and
its outcome, read back from the rows the receiver and the processing wrote.

Used by `manage.py send_test_webhook` (over HTTP, so routing, proxies and TLS in front of
the receiver are checked too) and by the Partner admin's "Send a test webhook" button
(handed to the receiver's service in the web process itself, `delivery_receive`: a web
node never calls itself over the network). Both paths verify, store and process the
event exactly as a partner's own would be.

Which enrollment the event names, so it never changes a real one:
- a real enrollment of the partner when one exists on which any event provably changes
  nothing: a cancelled one (the write path records it as ignored, "cancelled and takes
  no new outcome"). The outcome then shows the event reached a real enrollment;
- otherwise an obviously-test id, `TEST-WEBHOOK-<run>`. Processing finds no such
  enrollment and defers it; a deferred event is retried for WEBHOOK_DEFER_HOURS and then
  fails with an alert, so the test event is closed here as ignored, with the reason,
  once its outcome has been read. (Only events of this module, by their test id.)
An open or completed enrollment is never named: any event would change it (a submitted
one becomes active and its student is e-mailed; the raw partner data is replaced).

The body carries `"test": true` and the webhook id starts `msg_test_`; the secret used is
the first of `<SLUG>_WEBHOOK_SECRETS` unless another position is asked for.
"""

from __future__ import annotations

import json
import shlex
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import requests
from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from enrollments.models import Enrollment, EnrollmentStatus
from partners.config import PartnerConfigurationError, setting_name
from partners.events import EventType
from partners.registry import UnknownPartner, get_adapter
from partners.webhook_signing import secret_problems, signed_headers
from webhooks.deliveries import IncomingDelivery, delivery_receive
from webhooks.models import DeliveryVerdict, EventStatus, WebhookDelivery, WebhookEvent

TEST_WEBHOOK_PREFIX = "msg_test_"
TEST_ENROLLMENT_PREFIX = "TEST-WEBHOOK-"
SAMPLE_TYPES = tuple(t.value for t in EventType if t != EventType.UNKNOWN)
DEFAULT_TYPE = EventType.PROGRESS_UPDATED.value
# How long to wait for a worker to process the event when a broker is in use.
DEFAULT_WAIT_SECONDS = 5.0


class SampleWebhookError(Exception):
    """The test webhook cannot be made (no secret, an invalid one, unknown partner)."""


@dataclass(frozen=True)
class SampleWebhook:
    partner: str
    event_type: str
    url: str
    webhook_id: str
    body: bytes
    headers: dict[str, str]
    secret_position: int
    secret_count: int
    enrollment: Enrollment | None  # the real enrollment named, if any
    enrollment_ref: str  # the partner's enrollment id in the body


@dataclass(frozen=True)
class SampleOutcome:
    sample: SampleWebhook
    http_status: int | None  # what the receiver answered (None: not reached)
    answer: str  # its body, or why it was not reached
    delivery: WebhookDelivery | None
    event: WebhookEvent | None
    outcome: str  # in words: stored, applied, ignored (why), refused (why)

    @property
    def ok(self) -> bool:
        """The receiver stored the delivery and took the event (whatever processing
        then made of it)."""
        return self.delivery is not None and self.delivery.verdict in (
            DeliveryVerdict.ACCEPTED,
            DeliveryVerdict.IGNORED,
        )


def receiver_url(slug: str) -> str:
    """This deployment's receiver for `slug`: SITE_URL, where the service is reached."""
    path = reverse("partner-webhook", kwargs={"slug": slug}).rstrip("/")
    return f"{settings.SITE_URL.rstrip('/')}{path}/"  # as docs/webhooks.md publishes it


def sample_webhook(
    slug: str,
    *,
    event_type: str = DEFAULT_TYPE,
    url: str = "",
    secret_position: int = 1,
    now: datetime | None = None,
) -> SampleWebhook:
    """A signed sample event for `slug` (see the module docstring), not sent yet."""
    try:
        config = get_adapter(slug).config
    except UnknownPartner as exc:
        raise SampleWebhookError(f"no partner {slug!r}") from exc
    except PartnerConfigurationError as exc:
        raise SampleWebhookError(str(exc)) from exc
    variable = setting_name(slug, "webhook_secrets")
    secrets = config.webhook_secrets
    if not secrets:
        raise SampleWebhookError(
            f"{variable} is not set: {slug} has no webhook secret to sign with. Generate one "
            "(docs/integration-guide.md) and give it to the partner."
        )
    problems = secret_problems(secrets)
    if problems:
        which = "; ".join(f"secret {position} {problem}" for position, problem in problems)
        raise SampleWebhookError(
            f"{variable} is invalid ({which}): the receiver refuses every delivery for "
            f"{slug} until it is fixed (manage.py check names it too)."
        )
    if not 1 <= secret_position <= len(secrets):
        raise SampleWebhookError(
            f"{variable} has {len(secrets)} secret(s); there is no secret {secret_position}"
        )
    now = now or timezone.now()
    run = f"{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    enrollment = harmless_enrollment(slug)
    ref = enrollment.external_enrollment_id if enrollment else f"{TEST_ENROLLMENT_PREFIX}{run}"
    body = json.dumps(sample_body(event_type, ref, now, run)).encode()
    webhook_id = f"{TEST_WEBHOOK_PREFIX}{run}"
    return SampleWebhook(
        partner=slug,
        event_type=event_type,
        url=url or receiver_url(slug),
        webhook_id=webhook_id,
        body=body,
        headers=signed_headers(
            secrets[secret_position - 1], webhook_id, body, int(now.timestamp())
        ),
        secret_position=secret_position,
        secret_count=len(secrets),
        enrollment=enrollment,
        enrollment_ref=ref,
    )


def harmless_enrollment(slug: str) -> Enrollment | None:
    """A real enrollment of `slug` on which no event changes anything: cancelled, and
    known to the partner by its id."""
    return (
        Enrollment.objects.filter(partner__slug=slug, status=EnrollmentStatus.CANCELLED)
        .exclude(Q(external_enrollment_id="") | Q(external_enrollment_id__isnull=True))
        .order_by("-pk")
        .first()
    )


def sample_body(event_type: str, enrollment_ref: str, now: datetime, run: str) -> dict:
    data: dict = {"enrollment_id": enrollment_ref}
    if event_type == EventType.PROGRESS_UPDATED:
        data["progress_percent"] = 50
    elif event_type in (EventType.COURSE_COMPLETED, EventType.CERTIFICATE_ISSUED):
        data |= {"completed_at": now.isoformat(), "passed": True, "score": 90}
        if event_type == EventType.CERTIFICATE_ISSUED:
            data["certificate"] = {
                "number": f"TEST-CERT-{run}",
                "issued_at": now.isoformat(),
                "expires_at": None,
                "url": "",
                "verification_url": "",
            }
    return {"type": event_type, "timestamp": now.isoformat(), "test": True, "data": data}


def sample_curl(sample: SampleWebhook) -> str:
    """The curl line that sends this very delivery (its timestamp is good for 300 s)."""
    parts = ["curl", "-sS", "-X", "POST", sample.url]
    for name, value in sample.headers.items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-binary", sample.body.decode()]
    return " ".join(shlex.quote(part) for part in parts)


def sample_send_over_http(
    sample: SampleWebhook, *, wait_seconds: float = DEFAULT_WAIT_SECONDS
) -> SampleOutcome:
    """POST it to `sample.url` and read back what the receiver stored."""
    try:
        response = requests.post(
            sample.url, data=sample.body, headers=sample.headers, timeout=(5, 30)
        )
    except requests.RequestException as exc:
        return outcome_of(sample, None, f"not reached: {type(exc).__name__}: {exc}", wait_seconds)
    return outcome_of(sample, response.status_code, response.text[:500], wait_seconds)


def sample_receive_in_process(
    sample: SampleWebhook, *, wait_seconds: float = DEFAULT_WAIT_SECONDS
) -> SampleOutcome:
    """Hand it to the receiver's service in this process, as the receiver view does."""
    receipt = delivery_receive(
        IncomingDelivery(
            partner_slug=sample.partner,
            method="POST",
            headers=dict(sample.headers),
            body=sample.body,
            body_size=len(sample.body),
            source_ip=None,
        )
    )
    answer = json.dumps(receipt.answer)
    return outcome_of(sample, receipt.status_code, answer, wait_seconds)


def outcome_of(
    sample: SampleWebhook, status: int | None, answer: str, wait_seconds: float
) -> SampleOutcome:
    # By the webhook id alone: posted to another partner's URL, the row is under that slug.
    delivery = (
        WebhookDelivery.objects.filter(webhook_id=sample.webhook_id)
        .select_related("event")
        .order_by("-pk")
        .first()
    )
    event = delivery.event if delivery else None
    if event is not None:
        event = _processed(event, wait_seconds)
        if sample.enrollment is None:
            event = _close_test_event(event, sample)
    return SampleOutcome(
        sample=sample,
        http_status=status,
        answer=answer,
        delivery=delivery,
        event=event,
        outcome=describe(delivery, event, status, answer),
    )


def _processed(event: WebhookEvent, wait_seconds: float) -> WebhookEvent:
    """The event once a worker has looked at it, or as it is after `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    while event.status == EventStatus.RECEIVED and time.monotonic() < deadline:
        time.sleep(0.2)
        event.refresh_from_db()
    return event


def _close_test_event(event: WebhookEvent, sample: SampleWebhook) -> WebhookEvent:
    """An event naming our test id would be retried for hours and then fail with an
    alert: close it as ignored, saying why (see the module docstring)."""
    if event.status not in (EventStatus.DEFERRED, EventStatus.RECEIVED):
        return event
    before = event.status
    reason = event.last_error or "not processed yet"
    WebhookEvent.objects.filter(
        pk=event.pk,
        status__in=(EventStatus.DEFERRED, EventStatus.RECEIVED),
        webhook_id__startswith=TEST_WEBHOOK_PREFIX,
    ).update(
        status=EventStatus.IGNORED,
        processed_at=timezone.now(),
        next_attempt_at=None,
        last_error=(
            f"test webhook (send_test_webhook) for {sample.enrollment_ref}, which is not an "
            f"enrollment; closed from {before} ({reason}) so it is not retried"
        )[:2000],
    )
    event.refresh_from_db()
    return event


def describe(
    delivery: WebhookDelivery | None, event: WebhookEvent | None, status: int | None, answer: str
) -> str:
    """The outcome in words, from the rows (never from what we hoped would happen)."""
    if delivery is None:
        return f"no delivery stored (HTTP {status or '-'}: {answer[:200]})"
    if delivery.verdict not in (DeliveryVerdict.ACCEPTED, DeliveryVerdict.IGNORED):
        return f"refused ({delivery.verdict}): {delivery.detail}"
    if event is None:
        return f"stored ({delivery.verdict}) without an event"
    note = f": {event.last_error}" if event.last_error else ""
    if event.status == EventStatus.PROCESSED:
        return f"applied to enrollment {event.enrollment_id}{note}"
    if event.status == EventStatus.IGNORED:
        if event.last_error.startswith("ignored"):
            return event.last_error
        return f"ignored{note or ': type not handled'}"
    if event.status == EventStatus.RECEIVED:
        return "stored, waiting for a worker (processing runs off the request)"
    return f"{event.status}{note}"
