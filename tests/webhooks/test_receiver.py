"""Every input spec v1 names, for every partner: the answer the partner gets AND the
delivery row that stays (DESIGN §6)."""

import base64
import hashlib
import hmac
import json
import time

import pytest
import time_machine
from django.test import Client

from enrollments.models import EnrollmentStatus
from partners.models import Partner
from partners.registry import clear_adapters
from tests.webhooks.conftest import (
    event_body,
    last_delivery,
    new_secret,
    other_partner,
    secret_of,
    url,
)
from webhooks.deliveries import MAX_BODY_BYTES
from webhooks.models import DeliveryVerdict, EventStatus, WebhookDelivery, WebhookEvent
from webhooks.partner_lookup import forget_partners


def assert_refused(response, status: int, verdict: str, slug: str, *, partner=True):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["error"] == verdict
    assert answer["detail"]
    delivery = last_delivery()
    assert delivery.verdict == verdict
    assert delivery.response_status == status
    assert delivery.partner_slug == slug
    assert (delivery.partner.slug if delivery.partner else None) == (slug if partner else None)
    assert delivery.event is None
    assert delivery.detail == answer["detail"]
    assert not WebhookEvent.objects.exists()
    return delivery


def test_valid_event_is_accepted_stored_and_processed(sender, enrollment):
    body = event_body("progress.updated", enrollment.external_enrollment_id, progress_percent=40)

    response = sender.post(body, msg_id="msg_valid_1", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    delivery = last_delivery()
    assert delivery.verdict == DeliveryVerdict.ACCEPTED
    assert delivery.response_status == 200
    assert delivery.partner.slug == sender.slug
    assert delivery.webhook_id == "msg_valid_1"
    assert delivery.source_ip == "203.0.113.9"
    assert json.loads(delivery.body) == body
    assert delivery.body_size == len(json.dumps(body).encode())
    assert not delivery.body_truncated
    event = delivery.event
    assert (event.partner.slug, event.webhook_id) == (sender.slug, "msg_valid_1")
    assert event.event_type == "progress.updated"
    assert event.payload == body
    assert event.occurred_at.isoformat() == "2026-11-20T10:00:00+00:00"
    assert event.status == EventStatus.PROCESSED
    assert event.attempts == 1
    assert event.enrollment == enrollment
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 40


def test_csrf_and_api_auth_do_not_apply(sender, enrollment, catalogue):
    body = event_body("progress.updated", enrollment.external_enrollment_id, progress_percent=10)
    sender.client = Client(enforce_csrf_checks=True)
    response = sender.post(body, HTTP_ACCEPT="text/html")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "accepted"}


def test_bad_signature(sender):
    raw = json.dumps(event_body("progress.updated", "E-1")).encode()
    headers = sender.headers(raw)
    headers["webhook-signature"] = "v1," + "A" * 43 + "="
    response = sender.post(raw, headers=headers)
    delivery = assert_refused(response, 400, DeliveryVerdict.BAD_SIGNATURE, sender.slug)
    assert delivery.webhook_id == headers["webhook-id"]  # as claimed, for searching


def test_a_changed_body_is_a_bad_signature(sender):
    raw = json.dumps(event_body("progress.updated", "E-1", progress_percent=10)).encode()
    headers = sender.headers(raw)
    response = sender.post(raw.replace(b"10", b"99"), headers=headers)
    assert_refused(response, 400, DeliveryVerdict.BAD_SIGNATURE, sender.slug)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers(sender, missing):
    raw = json.dumps(event_body("progress.updated", "E-1")).encode()
    headers = sender.headers(raw)
    del headers[missing]
    response = sender.post(raw, headers=headers)
    assert_refused(response, 400, DeliveryVerdict.MISSING_HEADERS, sender.slug)


NOW = 1_795_000_000  # the clock is frozen: a second's drift must not decide these


@pytest.mark.parametrize("skew", [-301, 301], ids=["301s-old", "301s-ahead"])
def test_stale_timestamps(sender, skew):
    with time_machine.travel(NOW, tick=False):
        response = sender.post(event_body("progress.updated", "E-1"), timestamp=NOW + skew)
    assert_refused(response, 400, DeliveryVerdict.STALE_TIMESTAMP, sender.slug)


@pytest.mark.parametrize("skew", [-300, 300], ids=["300s-old", "300s-ahead"])
def test_timestamps_at_the_tolerance_are_accepted(sender, skew):
    with time_machine.travel(NOW, tick=False):
        response = sender.post(event_body("enrollment.created", "E-1"), timestamp=NOW + skew)
    assert response.json() == {"status": "accepted"}


def test_a_timestamp_that_is_not_a_number(sender):
    raw = json.dumps(event_body("progress.updated", "E-1")).encode()
    headers = sender.headers(raw)
    headers["webhook-timestamp"] = "yesterday"
    response = sender.post(raw, headers=headers)
    assert_refused(response, 400, DeliveryVerdict.STALE_TIMESTAMP, sender.slug)


@pytest.fixture
def rotation(sender, monkeypatch):
    """The partner is mid-rotation: an old and a new secret are both in force."""
    old, new = new_secret(f"{sender.slug}-old"), new_secret(f"{sender.slug}-new")
    monkeypatch.setenv(f"{sender.slug.upper()}_WEBHOOK_SECRETS", f"{old}, {new}")
    return old, new


@pytest.mark.parametrize("which", [0, 1], ids=["old-secret", "new-secret"])
def test_rotation_accepts_every_current_secret(sender, rotation, which):
    response = sender.post(event_body("enrollment.created", "E-1"), secret=rotation[which])
    assert response.status_code == 200
    assert last_delivery().verdict == DeliveryVerdict.ACCEPTED


def test_rotation_junk_signature_beside_a_valid_one(sender, rotation):
    raw = json.dumps(event_body("enrollment.created", "E-1")).encode()
    headers = sender.headers(raw, secret=rotation[1])
    headers["webhook-signature"] = f"v1,bm90LWEtc2lnbmF0dXJl v1a,zzz {headers['webhook-signature']}"
    response = sender.post(raw, headers=headers)
    assert response.json() == {"status": "accepted"}
    delivery = last_delivery()
    assert delivery.verdict == DeliveryVerdict.ACCEPTED
    # A signature is not a secret: kept so staff can compare it.
    assert delivery.headers["Webhook-Signature"] == headers["webhook-signature"]


def test_rotation_retired_secret_is_refused(sender, rotation, monkeypatch):
    monkeypatch.setenv(f"{sender.slug.upper()}_WEBHOOK_SECRETS", rotation[1])
    response = sender.post(event_body("enrollment.created", "E-1"), secret=rotation[0])
    assert_refused(response, 400, DeliveryVerdict.BAD_SIGNATURE, sender.slug)


def test_duplicate_is_stored_once_and_answered_duplicate(sender, enrollment):
    body = event_body("progress.updated", enrollment.external_enrollment_id, progress_percent=30)
    first = sender.post(body, msg_id="msg_dup")
    again = sender.post(body, msg_id="msg_dup")

    assert first.json() == {"status": "accepted"}
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.PROCESSED
    assert event.attempts == 1
    verdicts = list(
        WebhookDelivery.objects.order_by("pk").values_list("verdict", "event_id", "webhook_id")
    )
    assert verdicts == [
        (DeliveryVerdict.ACCEPTED, event.pk, "msg_dup"),
        (DeliveryVerdict.DUPLICATE, event.pk, "msg_dup"),
    ]


def test_same_webhook_id_from_another_partner_is_another_event(sender, partner_sender):
    other = partner_sender(other_partner(sender.slug))
    body = event_body("enrollment.created", "E-1")
    assert sender.post(body, msg_id="msg_shared").json() == {"status": "accepted"}
    assert other.post(body, msg_id="msg_shared").json() == {"status": "accepted"}
    assert WebhookEvent.objects.filter(webhook_id="msg_shared").count() == 2


def test_unknown_type_is_stored_and_ignored(sender, enrollment):
    body = event_body("enrollment.teleported", enrollment.external_enrollment_id)
    response = sender.post(body)
    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    delivery = last_delivery()
    assert delivery.verdict == DeliveryVerdict.IGNORED
    assert delivery.response_status == 200
    event = delivery.event
    assert event.status == EventStatus.IGNORED
    assert event.event_type == "enrollment.teleported"
    assert event.payload == body
    assert event.processed_at is not None
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert enrollment.progress_percent == 0


@pytest.mark.parametrize(
    "raw",
    [b'{"type": "progress.updated", "data": {', b"\xff\xfe not utf-8", b""],
    ids=["truncated-json", "not-utf8", "empty"],
)
def test_malformed_json_with_a_valid_signature(sender, raw):
    response = sender.post(raw)
    delivery = assert_refused(response, 400, DeliveryVerdict.INVALID_JSON, sender.slug)
    assert delivery.webhook_id  # the signature proved it
    assert delivery.body_size == len(raw)


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b'{"type": "x", "data": [1]}'])
def test_json_that_is_not_a_spec_object(sender, raw):
    response = sender.post(raw)
    assert_refused(response, 400, DeliveryVerdict.INVALID_JSON, sender.slug)


def test_oversized_body_is_refused_before_it_is_read(sender):
    raw = b'{"type": "progress.updated", "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = sender.post(raw)
    delivery = assert_refused(response, 413, DeliveryVerdict.TOO_LARGE, sender.slug)
    assert delivery.body == ""
    assert delivery.body_truncated
    assert delivery.body_size == len(raw)


def test_body_of_exactly_the_limit_is_read(sender):
    body = event_body("enrollment.created", "E-1")
    raw = json.dumps(body).encode()
    raw = raw[:-1] + b" " * (MAX_BODY_BYTES - len(raw)) + b"}"
    assert len(raw) == MAX_BODY_BYTES
    response = sender.post(raw)
    assert response.json() == {"status": "accepted"}
    delivery = last_delivery()
    assert delivery.body_size == MAX_BODY_BYTES
    assert delivery.body_truncated  # the row keeps WEBHOOK_DELIVERY_BODY_CHARS of it
    assert delivery.event.payload == body


def test_another_partners_valid_signature_on_this_url(sender):
    other = other_partner(sender.slug)
    response = sender.post(event_body("progress.updated", "E-1"), secret=secret_of(other))
    assert_refused(response, 400, DeliveryVerdict.BAD_SIGNATURE, sender.slug)


def test_inactive_partner(sender):
    Partner.objects.filter(slug=sender.slug).update(active=False)
    response = sender.post(event_body("progress.updated", "E-1"))
    assert_refused(response, 404, DeliveryVerdict.UNKNOWN_PARTNER, sender.slug)


def test_deactivating_a_partner_applies_at_once(sender):
    assert sender.post(event_body("enrollment.created", "E-1")).status_code == 200
    partner = Partner.objects.get(slug=sender.slug)
    partner.active = False
    partner.save()  # as staff do in the admin
    response = sender.post(event_body("enrollment.created", "E-2"))
    assert response.status_code == 404
    assert last_delivery().verdict == DeliveryVerdict.UNKNOWN_PARTNER


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "head", "options"])
def test_other_methods(sender, method):
    response = getattr(sender.client, method)(url(sender.slug))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    if method != "head":
        assert response.json()["error"] == "method_not_allowed"
    delivery = last_delivery()
    assert delivery.verdict == DeliveryVerdict.METHOD_NOT_ALLOWED
    assert delivery.method == method.upper()
    assert delivery.response_status == 405
    assert delivery.partner.slug == sender.slug


def test_unknown_partner(partner_sender):
    sender = partner_sender("hsi")
    response = sender.post(event_body("progress.updated", "E-1"), to="acme")
    assert_refused(response, 404, DeliveryVerdict.UNKNOWN_PARTNER, "acme", partner=False)


def test_a_partner_without_an_adapter_is_unknown(partner_sender):
    from tests.factories import make_partner

    make_partner(slug="newcomer")
    sender = partner_sender("hsi")
    response = sender.post(event_body("progress.updated", "E-1"), to="newcomer")
    delivery = assert_refused(response, 404, DeliveryVerdict.UNKNOWN_PARTNER, "newcomer")
    assert delivery.partner.slug == "newcomer"


def test_url_without_trailing_slash_is_not_redirected(partner_sender):
    sender = partner_sender("hsi")
    raw = json.dumps(event_body("enrollment.created", "E-1")).encode()
    response = sender.client.post(
        "/webhooks/partners/hsi",
        data=raw,
        content_type="application/json",
        headers=sender.headers(raw),
    )
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}


# --- Our secrets misconfigured (issue #10, item 9) --------------------------------------

SHORT_SECRET = "whsec_" + base64.b64encode(b"k" * 23).decode()
INVALID_SECRETS = {"empty": "whsec_", "23-bytes": SHORT_SECRET, "not-base64": "whsec_no t!"}


def forged_with_empty_key(raw: bytes, msg_id: str) -> dict[str, str]:
    """What anyone can sign when `whsec_` (an empty HMAC key) is in force."""
    now = int(time.time())
    digest = hmac.new(b"", f"{msg_id}.{now}.".encode() + raw, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(now),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def test_a_forgery_signed_with_the_empty_key_of_whsec__is_never_accepted(sender, monkeypatch):
    monkeypatch.setenv(f"{sender.slug.upper()}_WEBHOOK_SECRETS", "whsec_")
    raw = json.dumps(event_body("course.completed", "E-1", passed=True)).encode()
    response = sender.post(raw, headers=forged_with_empty_key(raw, "msg_forged"))
    delivery = assert_refused(response, 503, DeliveryVerdict.NOT_CONFIGURED, sender.slug)
    assert delivery.webhook_id == "msg_forged"  # as claimed: the signature proved nothing


@pytest.mark.parametrize("bad", INVALID_SECRETS.values(), ids=INVALID_SECRETS.keys())
def test_an_invalid_secret_in_force_refuses_even_a_valid_signature_until_fixed(
    sender, monkeypatch, bad
):
    good = new_secret(f"{sender.slug}-good")
    variable = f"{sender.slug.upper()}_WEBHOOK_SECRETS"
    monkeypatch.setenv(variable, f"{good},{bad}")
    body = event_body("enrollment.created", "E-1")

    response = sender.post(body, secret=good, msg_id="msg_retried")

    # 503: stored for staff to see, and the partner sends it again.
    delivery = assert_refused(response, 503, DeliveryVerdict.NOT_CONFIGURED, sender.slug)
    assert "retry" in delivery.detail.lower()
    key_part = bad.removeprefix("whsec_")
    assert not key_part or key_part not in response.content.decode()

    # The operator fixes it and restarts the web processes: the retry is accepted.
    monkeypatch.setenv(variable, good)
    clear_adapters()
    forget_partners()
    assert sender.post(body, secret=good, msg_id="msg_retried").json() == {"status": "accepted"}


def test_a_partner_configuration_that_cannot_be_read_is_not_configured(sender, monkeypatch):
    raw = json.dumps(event_body("enrollment.created", "E-1")).encode()
    headers = sender.headers(raw)
    monkeypatch.setenv(f"{sender.slug.upper()}_MODE", "fax")
    response = sender.post(raw, headers=headers)
    assert_refused(response, 503, DeliveryVerdict.NOT_CONFIGURED, sender.slug)


def test_a_partner_without_any_secret_has_its_webhooks_refused(partner_sender, settings):
    """No secret at all: nothing is meant to come (roster and manual partners), so a
    delivery is refused (400) as documented, not kept waiting for a retry."""
    settings.PARTNER_SIMULATOR = False  # no derived secret then
    sender = partner_sender("jri")
    response = sender.post(
        event_body("enrollment.created", "E-1"), secret=new_secret("anything-at-all")
    )
    assert_refused(response, 400, DeliveryVerdict.BAD_SIGNATURE, "jri")
