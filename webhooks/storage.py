"""Writing a new event and its delivery row together, at most once per (partner,
webhook-id), safe against a concurrent copy of the same event; and writing a processed
batch's outcomes.

On PostgreSQL the insert is one statement (INSERT ... ON CONFLICT DO NOTHING feeding the
delivery INSERT): one round trip and one commit, no explicit transaction, the same cost
as the bare "verify and insert one row" receiver. Elsewhere (SQLite) the ORM does it in
a transaction. Either way a copy that loses the race gets no row and is told so.

Rows are given as {attname: value} dicts, not model instances: building two instances
per delivery was a tenth of the receiver's CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import psycopg
from django.db import IntegrityError, connection, transaction
from django.db.models import Field, JSONField, Model
from django.utils import timezone

from config.db import savepoint_if_nested
from webhooks.models import WebhookDelivery, WebhookEvent

Row = dict[str, Any]


def event_insert_once(*, event: Row, delivery: Row) -> tuple[int, int] | None:
    """Insert the event and its delivery (pointing at it); return (event id, delivery
    id), or None, inserting nothing, when the partner's event with this webhook id exists
    already. Both are {attname: value}; columns left out get their defaults."""
    if connection.vendor == "postgresql":
        return _insert_postgresql(event, delivery)
    try:
        with transaction.atomic():
            new_event = WebhookEvent(**event)
            new_event.save(force_insert=True)
            new_delivery = WebhookDelivery(**delivery, event=new_event)
            new_delivery.save(force_insert=True)
    except IntegrityError:
        if WebhookEvent.objects.filter(
            partner_id=event["partner_id"], webhook_id=event["webhook_id"]
        ).exists():
            return None
        raise
    return new_event.pk, new_delivery.pk


def _insert_postgresql(event: Row, delivery: Row) -> tuple[int, int] | None:
    sql, event_columns, delivery_columns = _postgresql_statement()
    now = timezone.now()
    params = _params(event, event_columns, now) + _params(delivery, delivery_columns, now)
    # Inside a caller's transaction (tests, ATOMIC_REQUESTS) a failed statement must not
    # poison it: a savepoint then. Outside one, the statement is its own transaction.
    savepoint = savepoint_if_nested()
    connection.ensure_connection()
    # A server-side binding cursor on Django's own connection: psycopg prepares the
    # statement after a few uses, so PostgreSQL stops planning it on every delivery and
    # Python stops quoting the values into its text (a third of the statement's cost).
    with savepoint, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    delivery_id, event_id = row
    return event_id, delivery_id


# How each column's value is made ready: (attname, default, adapt).
Column = tuple[str, Callable[[], Any] | None, Callable[[Any], Any] | None]


def _params(row: Row, columns: list[Column], now: Any) -> list[Any]:
    values = []
    for attname, default, adapt in columns:
        value = row[attname] if attname in row else (default() if default else now)
        values.append(adapt(value) if adapt else value)
    return values


def _columns(model: type[Model], skip: Field | None = None) -> list[Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f != skip]


def _column(field: Field) -> Column:
    """auto_now_add columns (no default) take the statement's time; JSON is adapted as the
    ORM would; every other value goes as it is."""
    stamped = getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False)
    adapt = None
    if isinstance(field, JSONField):

        def adapt(value: Any, field: Field = field) -> Any:
            return field.get_db_prep_save(value, connection)

    return (field.attname, None if stamped else field.get_default, adapt)


@cache
def _postgresql_statement() -> tuple[str, list[Column], list[Column]]:
    qn = connection.ops.quote_name
    event_meta, delivery_meta = WebhookEvent._meta, WebhookDelivery._meta
    event_link = delivery_meta.get_field("event")
    event_fields = _columns(WebhookEvent)
    delivery_fields = _columns(WebhookDelivery, skip=event_link)

    def names(fields: list[Field]) -> str:
        return ", ".join(qn(f.column) for f in fields)

    def slots(fields: list[Field]) -> str:
        return ", ".join(["%s"] * len(fields))

    unique = ", ".join(qn(event_meta.get_field(name).column) for name in ("partner", "webhook_id"))
    sql = (
        f"WITH new_event AS ("
        f" INSERT INTO {qn(event_meta.db_table)} ({names(event_fields)})"
        f" VALUES ({slots(event_fields)})"
        f" ON CONFLICT ({unique}) DO NOTHING"
        f" RETURNING {qn(event_meta.pk.column)})"
        f" INSERT INTO {qn(delivery_meta.db_table)}"
        f" ({names(delivery_fields)}, {qn(event_link.column)})"
        f" SELECT {slots(delivery_fields)}, {qn(event_meta.pk.column)} FROM new_event"
        f" RETURNING {qn(delivery_meta.pk.column)}, {qn(event_link.column)}"
    )
    return sql, [_column(f) for f in event_fields], [_column(f) for f in delivery_fields]


def events_save_outcomes(events: list[WebhookEvent], fields: list[str]) -> None:
    """Write `fields` of a processed batch of events in one statement. Django's
    bulk_update builds a CASE per field and row, which cost a worker more CPU than the
    enrollment work itself; on PostgreSQL an UPDATE ... FROM (VALUES ...) does it."""
    if not events:
        return
    if connection.vendor != "postgresql":
        WebhookEvent.objects.bulk_update(events, fields)
        return
    qn = connection.ops.quote_name
    meta = WebhookEvent._meta
    columns = [meta.get_field(name) for name in fields]
    pk = meta.pk
    # Each value is cast to its column's type: a VALUES list has no types of its own.
    assignments = ", ".join(
        f"{qn(f.column)} = v.{qn(f.column)}::{f.db_type(connection)}" for f in columns
    )
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    names = ", ".join(qn(c) for c in [pk.column, *(f.column for f in columns)])
    sql = (
        f"UPDATE {qn(meta.db_table)} AS e SET {assignments}"
        f" FROM (VALUES {', '.join([row] * len(events))}) AS v({names})"
        f" WHERE e.{qn(pk.column)} = v.{qn(pk.column)}::{pk.db_type(connection)}"
    )
    params = [
        value
        for event in events
        for value in (event.pk, *(getattr(event, f.attname) for f in columns))
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
