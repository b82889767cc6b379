"""Writes every partner call attempt to PartnerRequestLog (connected in MonitoringConfig).

By default records are buffered and written in batches by one background thread per
process, on its own database connection: a partner call pays for building the record, not
for an INSERT (benchmarks/partner_call_logging.py), and a log survives even when the
caller's transaction rolls back. A record waits at most PARTNER_LOG_FLUSH_SECONDS; the
buffer is flushed at exit, so only a hard kill loses that last second, and before a web
request that called a partner answers (RequestLogsWrittenMiddleware).
PARTNER_LOG_WRITER=immediate writes each record in the caller's thread instead (tests,
and anyone who prefers that trade).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterable

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone

from monitoring.models import PartnerRequestLog
from monitoring.rollups import add_to_rollups
from partners.models import Partner
from partners.signals import CallRecord

logger = logging.getLogger(__name__)


# The columns write_records fills, in this order (the rest keep their defaults: none).
LOG_COLUMNS = (
    "created_at", "partner_id", "operation", "method", "url", "status_code", "outcome",
    "duration_ms", "attempt", "error_class", "error_message", "correlation_id",
    "enrollment_id", "request_headers", "request_body", "response_headers", "response_body",
)  # fmt: skip


# Rows per multi-row INSERT: within SQLite's and PostgreSQL's limits on parameters.
ROWS_PER_INSERT = 500


def write_records(records: Iterable[CallRecord]) -> int:
    """Insert `records` with their hourly counts (monitoring/rollups.py), in one
    transaction; records of unknown partners are dropped with a warning. Returns the
    number written.

    Multi-row INSERTs written here rather than model instances and bulk_create: building
    and compiling those cost about 0.1 ms per log, ten times the INSERT itself; and one
    statement per 500 rows rather than executemany, which on SQLite gives up and takes
    back the GIL for every row, each time making the threads making partner calls wait
    (benchmarks/partner_call_logging.py)."""
    records = list(records)
    slugs = {r.partner for r in records}
    ids = dict(Partner.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    now = timezone.now()
    ops = connection.ops
    created_at = ops.adapt_datetimefield_value(now)
    rows, counted = [], []
    for r in records:
        partner_id = ids.get(r.partner)
        if partner_id is None:
            logger.warning("Partner call for unknown partner %r not logged", r.partner)
            continue
        rows.append(
            (
                created_at,
                partner_id,
                r.operation,
                r.method,
                r.url[:2000],
                r.status_code,
                r.outcome,
                r.duration_ms,
                r.attempt,
                r.error_class[:100],
                r.error_message[:1000],
                r.correlation_id[:64],
                r.enrollment_id,
                ops.adapt_json_value(r.request_headers, None),
                r.request_body,
                ops.adapt_json_value(r.response_headers, None),
                r.response_body,
            )
        )
        counted.append((partner_id, now, r.outcome, r.duration_ms))
    if not rows:
        return 0
    table = ops.quote_name(PartnerRequestLog._meta.db_table)
    insert = f"INSERT INTO {table} ({', '.join(ops.quote_name(c) for c in LOG_COLUMNS)}) VALUES "
    row_sql = f"({', '.join(['%s'] * len(LOG_COLUMNS))})"
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_INSERT):
            chunk = rows[start : start + ROWS_PER_INSERT]
            cursor.execute(
                insert + ", ".join([row_sql] * len(chunk)),
                [value for row in chunk for value in row],
            )
        add_to_rollups(counted)  # the dashboard's hourly counts, in the same transaction
    return len(rows)


class BufferedWriter:
    """Collects records and writes them from one daemon thread, in batches."""

    def __init__(self, *, interval: float, max_batch: int = 1000):
        self.interval = interval
        self.max_batch = max_batch
        self._pending: list[CallRecord] = []
        self._lock = threading.Lock()
        # Records submitted so far, and how many of them have been through a write: a
        # flush waits for the records submitted before it, not for the buffer to empty
        # (in a busy process other threads may keep it from ever being empty).
        self._submitted = 0
        self._written = 0
        self._done = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._pid: int | None = None

    def submit(self, record: CallRecord) -> None:
        with self._lock:
            self._pending.append(record)
            self._submitted += 1
            self._idle.clear()
            full = len(self._pending) >= self.max_batch
        self._ensure_thread()
        if full:
            self._wake.set()

    def flush(self, timeout: float = 10.0) -> bool:
        """Write everything submitted so far; True once it is in the database."""
        if self._thread is None or self._pid != os.getpid():
            self._write(*self._take())
            return True
        with self._lock:
            submitted = self._submitted
        self._wake.set()
        with self._done:
            return self._done.wait_for(lambda: self._written >= submitted, timeout)

    def stop(self, timeout: float = 10.0) -> bool:
        """Write what is pending, then end the thread and close its database connection
        (at exit, and in tests); True once done. A later submit starts a new thread."""
        thread = self._thread
        if thread is None or self._pid != os.getpid() or not thread.is_alive():
            return self.flush(timeout)
        self._stop.set()
        self._wake.set()
        thread.join(timeout)
        return not thread.is_alive()

    def _take(self) -> tuple[list[CallRecord], int]:
        """The pending records, and how many records had been submitted when they were
        taken (all of those are in this batch or in an earlier one)."""
        with self._lock:
            batch, self._pending = self._pending, []
            return batch, self._submitted

    def _ensure_thread(self) -> None:
        # A forked child (gunicorn, Celery prefork) inherits no thread: start its own.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._stop = stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(stop,), name="request-log-writer", daemon=True
                )
                self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                self._wake.wait(self.interval)
                self._wake.clear()
                self._write(*self._take())
            self._write(*self._take())  # whatever came in while the last batch was written
        finally:
            connections.close_all()  # this thread's own

    def _write(self, batch: list[CallRecord], submitted: int) -> None:
        try:
            if batch:
                write_records(batch)
                if threading.current_thread() is self._thread:
                    # Like a request's end: drop the connection once it is too old or
                    # broken. Only after using it: an idle wake-up touches no database.
                    close_old_connections()
        except Exception:
            logger.exception("Could not write %d request log(s)", len(batch))
        finally:
            with self._done:
                self._written = max(self._written, submitted)
                self._done.notify_all()
                if not self._pending:
                    self._idle.set()


_writer: BufferedWriter | None = None


def writer() -> BufferedWriter:
    global _writer
    if _writer is None:
        _writer = BufferedWriter(interval=settings.PARTNER_LOG_FLUSH_SECONDS)
        atexit.register(_writer.stop)
    return _writer


# Whether this thread has handed records to the buffered writer during the web request
# it is answering (RequestLogsWrittenMiddleware flushes before the answer leaves).
_submitted = threading.local()


def record_request_log(sender, *, record: CallRecord, **kwargs) -> None:
    """The signal receiver. Never lets a logging failure break the call it describes."""
    try:
        if settings.PARTNER_LOG_WRITER == "immediate" or _in_memory_sqlite():
            write_records([record])
        else:
            writer().submit(record)
            _submitted.pending = True
    except Exception:
        logger.exception("Could not log %s %s", record.partner, record.operation)


class RequestLogsWrittenMiddleware:
    """The partner calls a web request made are in the request logs before its answer
    leaves: staff who press Sync now find the call on the page they are sent back to,
    though the buffered writer would have written it up to PARTNER_LOG_FLUSH_SECONDS
    later. A request that called no partner (nearly all) waits for nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _submitted.pending = False
        response = self.get_response(request)
        if _submitted.pending:
            _submitted.pending = False
            writer().flush()
        return response


def _in_memory_sqlite() -> bool:
    # An in-memory SQLite database is private to its connection: another thread would
    # write into a different, empty database.
    name = str(connection.settings_dict.get("NAME", ""))
    return connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name)
