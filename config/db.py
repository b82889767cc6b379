"""Database helpers shared by the apps."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from django.db import connection, transaction


def savepoint_if_nested() -> AbstractContextManager:
    """Around one write that may fail (a duplicate's IntegrityError, caught by the
    caller): a savepoint inside a caller's transaction, so the failure does not break
    that transaction; nothing outside one, where the statement commits on its own and a
    transaction around it would only add BEGIN and COMMIT (two round trips to
    PostgreSQL)."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()
