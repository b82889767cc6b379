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


_current: ContextVar[CallContext | None] = ContextVar("partner_call_context", default=None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def current_call_context() -> CallContext:
    return _current.get() or CallContext(correlation_id=new_correlation_id())


@contextmanager
def partner_call_context(
    *, correlation_id: str | None = None, enrollment_id: int | None = None
) -> Iterator[CallContext]:
    """Every partner call inside shares one correlation id (a new one unless given)."""
    outer = _current.get()
    context = CallContext(
        correlation_id=correlation_id or (outer.correlation_id if outer else new_correlation_id()),
        enrollment_id=enrollment_id
        if enrollment_id is not None
        else (outer and outer.enrollment_id),
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
