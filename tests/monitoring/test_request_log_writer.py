"""The buffered request-log writer: batching, flushing, and (on PostgreSQL, where another
thread can see committed rows) logs that outlive the caller's rolled-back transaction."""

import threading
import time

import pytest
import responses
from django.db import transaction

from monitoring import recorder
from monitoring.models import PartnerRequestLog
from partners.client import PartnerClient
from partners.signals import CallRecord


def record(partner="hsi", n=1) -> CallRecord:
    return CallRecord(
        partner=partner,
        operation="enroll",
        method="POST",
        url="https://p/x",
        outcome="success",
        duration_ms=n,
        attempt=1,
    )


def test_records_are_written_in_one_batch_on_flush(monkeypatch):
    batches = []
    monkeypatch.setattr(recorder, "write_records", lambda rs: batches.append(list(rs)))
    writer = recorder.BufferedWriter(interval=60)
    for n in range(3):
        writer.submit(record(n=n))
    assert writer.flush(timeout=5)
    assert [[r.duration_ms for r in batch] for batch in batches] == [[0, 1, 2]]


def test_a_full_buffer_is_written_without_waiting(monkeypatch):
    batches = []
    monkeypatch.setattr(recorder, "write_records", lambda rs: batches.append(len(list(rs))))
    writer = recorder.BufferedWriter(interval=60, max_batch=5)
    for _ in range(5):
        writer.submit(record())
    assert writer._idle.wait(5) and batches == [5]


def test_a_flush_waits_for_the_records_before_it_not_for_an_empty_buffer(monkeypatch):
    # In a busy process other threads keep submitting, so the buffer is seldom empty; a
    # flush that waited for it to be (as it did) could hold a web request for its whole
    # timeout. It waits for what was submitted before it.
    written = []

    def slow(records):
        written.extend(r.duration_ms for r in records)
        time.sleep(0.05)

    monkeypatch.setattr(recorder, "write_records", slow)
    writer = recorder.BufferedWriter(interval=0.01)
    stop = threading.Event()

    def another_thread():
        while not stop.is_set():
            writer.submit(record(n=0))
            time.sleep(0.001)

    busy = threading.Thread(target=another_thread)
    busy.start()
    try:
        time.sleep(0.05)
        writer.submit(record(n=7))
        assert writer.flush(timeout=2)
        assert 7 in written
    finally:
        stop.set()
        busy.join()
        writer.stop()


def test_a_forked_process_starts_its_own_thread(monkeypatch):
    monkeypatch.setattr(recorder, "write_records", lambda rs: None)
    writer = recorder.BufferedWriter(interval=60)
    writer.submit(record())
    first = writer._thread
    monkeypatch.setattr(recorder.os, "getpid", lambda: -1)
    writer.submit(record())
    assert writer._thread is not first and writer._thread.is_alive()


def test_a_failing_write_is_logged_and_the_writer_goes_on(monkeypatch, caplog):
    calls = []

    def flaky(rs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database gone")

    monkeypatch.setattr(recorder, "write_records", flaky)
    writer = recorder.BufferedWriter(interval=60)
    writer.submit(record())
    assert writer.flush(timeout=5)
    writer.submit(record())
    assert writer.flush(timeout=5) and len(calls) == 2
    assert "Could not write 1 request log" in caplog.text


@pytest.mark.django_db
def test_unknown_partners_are_dropped_not_fatal(catalogue):
    assert recorder.write_records([record("hsi"), record("nobody")]) == 1
    assert PartnerRequestLog.objects.count() == 1


@responses.activate
def test_buffered_logs_outlive_a_rolled_back_transaction(postgres, catalogue, settings):
    settings.PARTNER_LOG_WRITER = "buffered"
    responses.get("https://partner.test/p", json={"ok": True})
    client = PartnerClient(partner="hsi", base_url="https://partner.test")

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        client.get("/p", operation="get_progress")
        raise Abort
    assert recorder.writer().flush(timeout=10)
    assert PartnerRequestLog.objects.filter(operation="get_progress").count() == 1
    # Its thread's connection closed, so the test database can be dropped afterwards.
    assert recorder.writer().stop(timeout=10)


def test_stop_writes_what_is_pending_and_ends_the_thread(monkeypatch):
    batches = []
    monkeypatch.setattr(recorder, "write_records", lambda rs: batches.append(len(list(rs))))
    writer = recorder.BufferedWriter(interval=60)
    writer.submit(record())
    thread = writer._thread
    assert writer.stop(timeout=5)
    assert batches == [1] and not thread.is_alive()
    writer.submit(record())  # a later record starts a new thread
    assert writer._thread is not thread and writer.flush(timeout=5) and batches == [1, 1]
    assert writer.stop(timeout=5)


def test_an_idle_wake_up_touches_no_database(monkeypatch):
    """It used to check its connection on every wake-up, which (under pytest-django's
    database blocker, say) could raise and kill the thread."""
    closes = []
    monkeypatch.setattr(recorder, "write_records", lambda rs: None)
    monkeypatch.setattr(recorder, "close_old_connections", lambda: closes.append(1))
    writer = recorder.BufferedWriter(interval=0.01)
    writer.submit(record())
    assert writer.flush(timeout=5)
    for _ in range(3):  # wake-ups with nothing to write
        writer._wake.set()
        writer._idle.wait(1)
    assert writer.stop(timeout=5)
    assert closes == [1]


def test_a_web_request_that_called_a_partner_answers_once_its_logs_are_written(
    monkeypatch, settings, rf
):
    # The writer waits up to PARTNER_LOG_FLUSH_SECONDS (60 here): without the middleware
    # the page staff are sent back to after Sync now could miss the call just made.
    settings.PARTNER_LOG_WRITER = "buffered"
    monkeypatch.setattr(recorder, "_in_memory_sqlite", lambda: False)
    written = []
    monkeypatch.setattr(recorder, "write_records", lambda rs: written.extend(rs))
    monkeypatch.setattr(recorder, "_writer", recorder.BufferedWriter(interval=60))

    def calls_a_partner(request):
        recorder.record_request_log(None, record=record(n=7))
        assert not written  # buffered, not yet written
        return "answer"

    middleware = recorder.RequestLogsWrittenMiddleware(calls_a_partner)
    assert middleware(rf.get("/")) == "answer"
    assert [r.duration_ms for r in written] == [7]

    # A request that called no partner does not wait for the writer.
    flushes = []
    monkeypatch.setattr(recorder._writer, "flush", lambda *a, **k: flushes.append(1))
    assert recorder.RequestLogsWrittenMiddleware(lambda request: "other")(rf.get("/")) == "other"
    assert not flushes
