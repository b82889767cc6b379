"""With a broker, committed events reach the workers through the batch publisher; without
one they are processed in-process (every other test here runs that way)."""

import threading

import pytest

from tests.webhooks.conftest import event_body
from webhooks import tasks
from webhooks.models import EventStatus, WebhookEvent
from webhooks.publishing import BATCH, BatchPublisher


@pytest.fixture
def broker(settings, monkeypatch):
    """A broker is configured; what is published is recorded instead of sent."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    published: list[list[int]] = []
    arrived = threading.Condition()

    def delay(event_ids):
        with arrived:
            published.append(list(event_ids))
            arrived.notify_all()

    monkeypatch.setattr(tasks.process_webhook_events, "delay", delay)

    def wait_for(count: int) -> list[list[int]]:
        with arrived:
            arrived.wait_for(lambda: sum(map(len, published)) >= count, timeout=5)
        return published

    return wait_for


def test_accepted_events_are_published_not_processed_in_the_request(partner_sender, broker):
    hsi = partner_sender("hsi")
    for n in range(3):
        assert hsi.post(event_body("enrollment.created", f"E-{n}")).status_code == 200

    published = broker(3)
    ids = sorted(i for batch in published for i in batch)
    assert ids == sorted(WebhookEvent.objects.values_list("pk", flat=True))
    # Nothing was processed in the request: that is the worker's job.
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {EventStatus.RECEIVED}


def test_ignored_events_are_not_published(partner_sender, settings, monkeypatch, held_publisher):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.process_webhook_events, "delay", sent.append)
    hsi = partner_sender("hsi")

    assert hsi.post(event_body("enrollment.renamed", "E-1")).json() == {"status": "ignored"}
    held_publisher.flush()  # whatever the receiver queued is published now, in this thread
    assert sent == []

    # The same observation does see an event that is published.
    assert hsi.post(event_body("enrollment.created", "E-2")).json() == {"status": "accepted"}
    held_publisher.flush()
    assert sent == [[WebhookEvent.objects.get(event_type="enrollment.created").pk]]


def test_ids_piling_up_go_out_in_batches(monkeypatch):
    sent: list[list[int]] = []
    monkeypatch.setattr(tasks.process_webhook_events, "delay", sent.append)
    publisher = BatchPublisher()
    # No background thread: only flush() publishes here.
    monkeypatch.setattr(publisher, "_ensure_thread", lambda: None)
    for event_id in range(1, 2 * BATCH + 6):
        publisher.put(event_id)

    publisher.flush()

    assert [len(batch) for batch in sent] == [BATCH, BATCH, 5]
    assert [i for batch in sent for i in batch] == list(range(1, 2 * BATCH + 6))


def test_a_failed_publish_leaves_the_events_for_the_reconcile_job(monkeypatch, caplog):
    def down(event_ids):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.process_webhook_events, "delay", down)
    publisher = BatchPublisher()
    monkeypatch.setattr(publisher, "_ensure_thread", lambda: None)
    publisher.put(7)
    publisher.flush()
    assert "reconcile job will pick them up" in caplog.text
