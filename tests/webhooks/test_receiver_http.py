"""The receiver's HTTP edges: how much of a body is read, what of the request is kept,
and what the partner hears when something on our side breaks."""

import io
import json
from contextlib import contextmanager

import pytest
from django.db import DatabaseError

from tests.webhooks.conftest import event_body, last_delivery, new_secret, secret_of
from webhooks import deliveries
from webhooks.deliveries import MAX_BODY_BYTES
from webhooks.models import DeliveryVerdict, EventStatus, WebhookDelivery, WebhookEvent


@pytest.fixture
def hsi(partner_sender):
    return partner_sender("hsi")


def chunked(raw: bytes) -> dict:
    """What gunicorn hands over for a chunked body: no Content-Length, a terminated input."""
    return {"CONTENT_LENGTH": "", "wsgi.input": io.BytesIO(raw), "wsgi.input_terminated": True}


def test_chunked_body_within_the_limit_is_read(hsi):
    raw = json.dumps(event_body("enrollment.created", "E-1")).encode()
    response = hsi.post(raw, **chunked(raw))
    assert response.json() == {"status": "accepted"}
    assert last_delivery().body_size == len(raw)
    # Exactly what docs/webhooks.md shows partners.
    assert response.content == b'{"status":"accepted"}'
    assert response["Content-Type"] == "application/json"


def test_chunked_body_over_the_limit_is_refused_after_at_most_the_limit(hsi):
    raw = b"x" * (3 * MAX_BODY_BYTES)
    stream = chunked(raw)
    response = hsi.post(raw, **stream)
    assert response.status_code == 413
    delivery = last_delivery()
    assert delivery.verdict == DeliveryVerdict.TOO_LARGE
    assert delivery.body_truncated
    # It stopped reading just past the limit instead of taking in all 3 MiB.
    assert MAX_BODY_BYTES < stream["wsgi.input"].tell() < MAX_BODY_BYTES + 128 * 1024


def test_declared_length_over_the_limit_is_refused_without_reading(hsi):
    raw = json.dumps(event_body("enrollment.created", "E-1")).encode()
    stream = io.BytesIO(raw)
    response = hsi.post(raw, CONTENT_LENGTH=str(MAX_BODY_BYTES + 1), **{"wsgi.input": stream})
    assert response.status_code == 413
    assert stream.tell() == 0
    assert last_delivery().body_size == MAX_BODY_BYTES + 1


def test_a_declared_length_shorter_than_the_body_bounds_the_read(hsi):
    raw = json.dumps(event_body("enrollment.created", "E-1")).encode()
    headers = hsi.headers(raw)
    padded = raw + b" " * (2 * MAX_BODY_BYTES)
    response = hsi.post(
        padded, headers=headers, CONTENT_LENGTH=str(len(raw)), **{"wsgi.input": io.BytesIO(padded)}
    )
    # Only the declared bytes were read: exactly what was signed.
    assert response.json() == {"status": "accepted"}
    assert last_delivery().body_size == len(raw)


def test_without_a_length_or_a_terminated_input_the_body_is_empty(hsi):
    raw = json.dumps(event_body("enrollment.created", "E-1")).encode()
    response = hsi.post(raw, CONTENT_LENGTH="", **{"wsgi.input": io.BytesIO(raw)})
    # Nothing tells where such a body ends; reading it could block: it counts as empty.
    assert response.status_code == 400
    assert last_delivery().body_size == 0


def test_stored_headers_are_redacted_but_keep_the_signature(hsi):
    raw = json.dumps(event_body("enrollment.created", "E-1")).encode()
    headers = hsi.headers(raw) | {
        "Authorization": "Bearer abc123",
        "X-Api-Key": "k-123",
        "Cookie": "sessionid=s3cr3t",
        "X-Debug": secret_of("hsi"),
    }
    assert hsi.post(raw, headers=headers).status_code == 200
    stored = last_delivery().headers
    assert stored["Authorization"] == "[REDACTED]"
    assert stored["X-Api-Key"] == "[REDACTED]"
    assert stored["Cookie"] == "[REDACTED]"
    assert stored["X-Debug"] == "[REDACTED]"  # a secret's value, whatever the header's name
    assert stored["Webhook-Signature"] == headers["webhook-signature"]
    assert stored["Webhook-Id"] == headers["webhook-id"]
    assert secret_of("hsi") not in json.dumps(stored)


def test_a_long_body_is_kept_bounded_on_the_delivery(hsi, settings):
    settings.WEBHOOK_DELIVERY_BODY_CHARS = 100
    body = event_body("enrollment.created", "E-1", note="n" * 500)
    assert hsi.post(body).status_code == 200
    delivery = last_delivery()
    assert len(delivery.body) == 100
    assert delivery.body_truncated
    assert delivery.event.payload == body  # the event keeps all of it


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.5", "10.0.0.5"),  # not trusted: forgeable
        (1, "198.51.100.1", "10.0.0.5", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "10.0.0.5", "198.51.100.1"),  # the sender added 6.6.6.6
        (2, "198.51.100.1, 10.0.0.9", "10.0.0.5", "198.51.100.1"),
        (1, "not-an-address", "10.0.0.5", None),
    ],
)
def test_source_address(hsi, settings, proxies, forwarded, remote, expected):
    settings.WEBHOOK_TRUSTED_PROXIES = proxies
    response = hsi.post(
        event_body("enrollment.created", "E-1"),
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert response.status_code == 200
    assert last_delivery().source_ip == expected


def test_nul_characters_are_stored_not_a_crash(hsi):
    raw = b'{"type": "enrollment.created", "data": {"enrollment_id": "E-\\u0000-1"}}'
    assert hsi.post(raw).json() == {"status": "accepted"}
    event = WebhookEvent.objects.get()
    assert event.payload["data"]["enrollment_id"] == "E-\ufffd-1"


def test_a_webhook_id_longer_than_the_column_is_refused(hsi):
    response = hsi.post(event_body("enrollment.created", "E-1"), msg_id="m" * 256)
    assert response.status_code == 400
    assert last_delivery().verdict == DeliveryVerdict.MISSING_HEADERS
    assert not WebhookEvent.objects.exists()


def test_a_broker_that_is_down_still_answers_accepted(hsi, broker_down, held_publisher, caplog):
    response = hsi.post(event_body("enrollment.created", "E-1"))
    assert response.json() == {"status": "accepted"}

    held_publisher.flush()  # the publisher's attempt, made here: the connection is refused

    assert "reconcile job will pick them up" in caplog.text
    assert "Connection refused" in caplog.text or "Error 111" in caplog.text
    # Stored and waiting: the reconcile sweep will enqueue it.
    assert WebhookEvent.objects.get().status == EventStatus.RECEIVED


@contextmanager
def database_down():
    """Every new query fails to reach the database, as when it is down (undone before the
    test's own transaction is rolled back)."""
    from django.db import OperationalError, connection

    def refused(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connection, "ensure_connection", refused)
        yield


@pytest.mark.parametrize("partner_known", [False, True], ids=["cold", "partner-remembered"])
def test_the_database_down_is_a_json_503(hsi, partner_known):
    if partner_known:  # the receiver remembers the partner: the INSERT is what fails
        assert hsi.post(event_body("enrollment.created", "E-0")).status_code == 200

    with database_down():
        response = hsi.post(event_body("enrollment.created", "E-1"))

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "error"
    assert "retry" in response.json()["detail"]


def test_an_event_that_cannot_be_stored_is_a_503_with_its_delivery_row(hsi, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(deliveries, "event_insert_once", broken)
    response = hsi.post(event_body("enrollment.created", "E-1"))
    assert response.status_code == 503
    assert response.json()["error"] == "error"
    delivery = last_delivery()
    assert delivery.verdict == DeliveryVerdict.ERROR
    assert delivery.response_status == 503
    assert delivery.event is None


def test_when_nothing_can_be_stored_the_answer_is_still_given(hsi, monkeypatch):
    def broken(self, *args, **kwargs):
        raise DatabaseError("database down")

    monkeypatch.setattr(WebhookDelivery, "save", broken)
    monkeypatch.setattr(deliveries, "event_insert_once", lambda **kw: broken(None))
    assert hsi.post(event_body("enrollment.created", "E-1")).status_code == 503
    bad = hsi.post(event_body("enrollment.created", "E-1"), secret=new_secret("junk"))
    assert bad.status_code == 400


def test_a_parser_bug_keeps_the_event_for_replay(hsi, monkeypatch):
    from partners.hsi.adapter import HsiAdapter

    def buggy(self, *, payload, webhook_id):
        raise KeyError("data")

    monkeypatch.setattr(HsiAdapter, "parse_webhook", buggy)
    response = hsi.post(event_body("progress.updated", "E-1"))
    assert response.json() == {"status": "accepted"}
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.FAILED
    assert "KeyError" in event.last_error
    assert "buggy" in event.traceback
