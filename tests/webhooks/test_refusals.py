"""Strangers cannot fill the delivery table (issue #10, item 11): a refused delivery keeps
a bounded prefix of its body with the digest and length of all of it, and refusals past
WEBHOOK_REFUSAL_LIMIT per partner and window are answered 429 without a row each. A
correctly signed delivery is never refused for volume."""

import hashlib
import json

import pytest
import time_machine
from django.db.models import Count, Sum
from django.db.models.functions import Length

from tests.webhooks.conftest import event_body, last_delivery, new_secret
from webhooks.deliveries import REFUSED_BODY_BYTES, REFUSED_HEADER_CHARS
from webhooks.models import DeliveryVerdict, WebhookDelivery, WebhookEvent

LIMIT = 5
WINDOW = 600
NOW = 1_795_000_200  # the start of a window of 600 s; the clock is frozen in these tests


@pytest.fixture(autouse=True)
def limits(settings):
    settings.WEBHOOK_REFUSAL_LIMIT = LIMIT
    settings.WEBHOOK_REFUSAL_WINDOW_SECONDS = WINDOW
    with time_machine.travel(NOW, tick=False) as clock:
        yield clock


@pytest.fixture
def hsi(partner_sender):
    return partner_sender("hsi")


def forged(sender, body=None, **kw):
    """A delivery signed with a secret the partner does not have."""
    return sender.post(
        body if body is not None else event_body("enrollment.created", "E-1"),
        secret=new_secret("stranger"),
        **kw,
    )


def test_a_refused_body_keeps_its_first_2_kib_its_digest_and_its_length(hsi):
    raw = json.dumps(event_body("enrollment.created", "E-1", pad="é" * 40_000)).encode()
    assert len(raw) > 64 * 1024

    assert forged(hsi, raw).status_code == 400

    delivery = last_delivery()
    assert delivery.verdict == DeliveryVerdict.BAD_SIGNATURE
    assert len(delivery.body.encode()) <= REFUSED_BODY_BYTES
    assert raw.decode().startswith(delivery.body)  # a prefix, no character cut in two
    assert len(delivery.body.encode()) > REFUSED_BODY_BYTES - 4
    assert delivery.body_truncated
    assert delivery.body_size == len(raw)
    assert delivery.body_sha256 == hashlib.sha256(raw).hexdigest()


def test_a_refused_delivery_keeps_a_bounded_part_of_its_headers(hsi):
    raw = json.dumps(event_body("enrollment.created", "E-1")).encode()
    headers = hsi.headers(raw, secret=new_secret("stranger"))
    padding = {f"X-Pad-{n}": "p" * 4000 for n in range(20)}
    assert hsi.post(raw, headers=padding | headers).status_code == 400

    stored = last_delivery().headers
    assert sum(len(k) + len(v) for k, v in stored.items()) <= REFUSED_HEADER_CHARS
    # What says why it was refused is kept first.
    assert stored["Webhook-Signature"] == headers["webhook-signature"]
    assert stored["Webhook-Id"] == headers["webhook-id"]


def test_an_accepted_body_is_kept_as_before_without_a_digest(hsi):
    body = event_body("enrollment.created", "E-1", pad="x" * 10_000)
    assert hsi.post(body).json() == {"status": "accepted"}
    delivery = last_delivery()
    assert json.loads(delivery.body) == body
    assert not delivery.body_truncated
    assert delivery.body_sha256 == ""


def test_refusals_over_the_limit_are_answered_429_and_stored_once(hsi):
    answers = [forged(hsi) for _ in range(LIMIT + 10)]

    assert [a.status_code for a in answers] == [400] * LIMIT + [429] * 10
    for answer in answers[LIMIT:]:
        assert answer["Content-Type"] == "application/json"
        assert answer.json()["error"] == "rate_limited"
        assert answer["Retry-After"] == str(WINDOW)  # the rest of the window
    verdicts = list(WebhookDelivery.objects.order_by("pk").values_list("verdict", flat=True))
    # The first over the limit marks the window; the rest are only counted.
    assert verdicts == [DeliveryVerdict.BAD_SIGNATURE] * LIMIT + [DeliveryVerdict.RATE_LIMITED]
    marker = last_delivery()
    assert marker.response_status == 429
    assert marker.partner.slug == "hsi"
    assert "bad_signature" in marker.detail


def test_a_flood_of_large_unsigned_posts_cannot_grow_the_table(hsi):
    """The issue's measurement: 100 unsigned 64 KiB POSTs grew the table by 6.8 MB."""
    raw = b'{"pad": "' + b"x" * (64 * 1024) + b'"}'
    for n in range(100):
        hsi.post(raw, headers={"webhook-id": f"msg_{n}"})

    stored = WebhookDelivery.objects.aggregate(rows=Count("pk"), body=Sum(Length("body")))
    assert stored["rows"] == LIMIT + 1
    assert stored["body"] <= (LIMIT + 1) * REFUSED_BODY_BYTES


def test_the_retry_after_counts_down_and_a_new_window_starts_afresh(hsi, limits):
    for _ in range(LIMIT + 1):
        forged(hsi)
    limits.shift(WINDOW - 30)
    late = forged(hsi)
    assert (late.status_code, late["Retry-After"]) == (429, "30")

    limits.shift(30)
    assert forged(hsi).status_code == 400
    assert last_delivery().verdict == DeliveryVerdict.BAD_SIGNATURE


def test_a_signed_delivery_is_never_refused_for_volume(hsi):
    for _ in range(LIMIT + 3):
        forged(hsi)
    assert forged(hsi).status_code == 429

    assert hsi.post(event_body("enrollment.created", "E-1")).json() == {"status": "accepted"}
    assert hsi.post(event_body("enrollment.renamed", "E-2")).json() == {"status": "ignored"}
    # Signed but not JSON: refused for what it is, stored, never a 429.
    not_json = hsi.post(b'{"type": ')
    assert not_json.status_code == 400
    assert not_json.json()["error"] == DeliveryVerdict.INVALID_JSON
    assert last_delivery().verdict == DeliveryVerdict.INVALID_JSON
    # A signed id too long for its column is refused for that, not counted either.
    too_long = hsi.post(event_body("enrollment.created", "E-3"), msg_id="m" * 256)
    assert too_long.json()["error"] == DeliveryVerdict.MISSING_HEADERS
    assert WebhookEvent.objects.count() == 2


def test_each_partner_has_its_own_limit(hsi, partner_sender):
    for _ in range(LIMIT + 1):
        forged(hsi)
    assert forged(partner_sender("nds")).status_code == 400
    assert last_delivery().partner.slug == "nds"


def test_made_up_slugs_share_one_limit(hsi):
    answers = [forged(hsi, to=f"acme-{n}") for n in range(LIMIT + 2)]
    assert [a.status_code for a in answers] == [404] * LIMIT + [429] * 2
    assert WebhookDelivery.objects.count() == LIMIT + 1
    assert forged(hsi).status_code == 400  # the real partner's URL is unaffected


def test_other_methods_are_counted_as_refusals(hsi):
    answers = [hsi.client.get("/webhooks/partners/hsi/") for _ in range(LIMIT + 1)]
    assert [a.status_code for a in answers] == [405] * LIMIT + [429]
    assert answers[-1]["Allow"] == "POST"


def test_refusals_are_stored_one_by_one_when_the_cache_is_down(hsi, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(cache, "add", down)
    answers = [forged(hsi) for _ in range(LIMIT + 2)]
    assert {a.status_code for a in answers} == {400}
    assert WebhookDelivery.objects.count() == LIMIT + 2
