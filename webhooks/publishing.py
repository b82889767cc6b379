"""Handing committed events to the workers.

Without a broker (the embedded default) tasks run in-process, so the event is processed
right after its commit. With a broker, a request only puts the event id on an in-process
queue: a background thread publishes the ids, as many per message as have piled up.
Publishing one Celery message per webhook costs more CPU than the rest of receiving it,
and under a burst it is the batching that keeps the receiver fast.

An id still in the queue when the process dies is not lost: its event stays "received"
and the reconcile job (webhooks.replay.events_redrive) enqueues it again.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Sequence

from django.conf import settings

from config.celery import send

logger = logging.getLogger(__name__)

# Ids per message: enough to amortise publishing (a Celery message costs a web process
# about as much CPU as receiving ten webhooks), few enough that one message does not keep
# a single worker busy while others idle. The worker applies them in transactions of
# webhooks.processing.EVENTS_PER_TRANSACTION.
BATCH = 100
# How long the first id of a batch waits for company: nothing next to processing times.
LINGER_SECONDS = 0.2


# The worker task, named rather than imported: the tasks module imports the services that
# publish (replay), so the dependency stays one way.
PROCESS_EVENTS = "webhooks.tasks.process_webhook_events"


def publish(event_ids: Sequence[int]) -> None:
    """Send these events to the workers, BATCH ids to a message (in-process without a
    broker). A broker that cannot be reached raises; the events stay in the database
    and the reconcile sweep sends them again."""
    for start in range(0, len(event_ids), BATCH):
        send(PROCESS_EVENTS, list(event_ids[start : start + BATCH]))


def enqueue_processing(event_id: int) -> None:
    """Called on commit of a new event."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        publish([event_id])
    else:
        _publisher.put(event_id)


class BatchPublisher:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0
        self._queue: queue.SimpleQueue[int] = queue.SimpleQueue()

    def put(self, event_id: int) -> None:
        self._ensure_thread()
        self._queue.put(event_id)

    def flush(self) -> None:
        """Publish whatever is queued, in the caller (at exit, and in tests)."""
        while batch := self._take():
            self._publish(batch)

    def _ensure_thread(self) -> None:
        # After a fork (gunicorn --preload) the parent's thread does not exist here.
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._queue = queue.SimpleQueue()
                threading.Thread(target=self._run, name="webhook-publisher", daemon=True).start()
                self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            # Sleep rather than wait on the queue: one wake-up per round, not one per id
            # put by the request threads (each would contend for the GIL). Then send all
            # that came meanwhile, BATCH at a time.
            time.sleep(LINGER_SECONDS)
            waiting = [first, *self._take(limit=None)]
            for start in range(0, len(waiting), BATCH):
                self._publish(waiting[start : start + BATCH])

    def _take(self, *, limit: int | None = BATCH) -> list[int]:
        batch: list[int] = []
        try:
            while limit is None or len(batch) < limit:
                batch.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        return batch

    def _publish(self, batch: list[int]) -> None:
        try:
            publish(batch)
        except Exception:
            logger.exception(
                "Could not enqueue webhook events %s; the reconcile job will pick them up", batch
            )


_publisher = BatchPublisher()
atexit.register(_publisher.flush)
