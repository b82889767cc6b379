"""Who a partner call is for: a correlation id and the enrollment, set by the service that
makes the call and carried into every request log of that work."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class CallContext:
    correlation_id: str
    enrollment_id: int | None = None
    # False: the caller reschedules itself after a transient failure (a task re-queued
    # with a countdown), so the client makes one attempt per call and never sleeps in it,
    # which would hold a worker slot while waiting (partners/client.py, retry policy).
    retry_in_call: bool = True


_current: ContextVar[CallContext | None] = ContextVar("partner_call_context", default=None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current_call_context() -> CallContext:
    return _current.get() or CallContext(correlation_id=new_correlation_id())


@contextmanager
def partner_call_context(
    *,
    correlation_id: str | None = None,
    enrollment_id: int | None = None,
    retry_in_call: bool | None = None,
) -> Iterator[CallContext]:
    """Every partner call inside shares one correlation id (a new one unless given);
    `retry_in_call=False` when the caller retries by rescheduling itself."""
    outer = _current.get()
    context = CallContext(
        correlation_id=correlation_id or (outer.correlation_id if outer else new_correlation_id()),
        enrollment_id=enrollment_id
        if enrollment_id is not None
        else (outer and outer.enrollment_id),
        retry_in_call=retry_in_call
        if retry_in_call is not None
        else (outer.retry_in_call if outer else True),
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
