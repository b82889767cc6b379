"""Database helpers the ORM does not offer."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import Model


def insert_unless_duplicate(obj: Model, *, unique: dict) -> bool:
    """INSERT `obj`, unless a row equal to it on a unique constraint exists (`unique`:
    that constraint's fields and their values). True when inserted (obj.pk is set),
    False when the existing row made it a duplicate.

    It is one statement, INSERT ... ON CONFLICT DO NOTHING RETURNING (PostgreSQL, and
    SQLite from 3.35; Django needs 3.37): no savepoint, and on PostgreSQL the constraint is
    checked against committed rows and waits for a concurrent insert of the same key, so
    two racing copies cannot both get in. The ORM offers ON CONFLICT only in bulk_create,
    which does not say whether the row went in. A database without it (none that Partner
    Hub runs on) gets a savepoint that catches the error."""
    meta = obj._meta
    features = connection.features
    if features.can_return_columns_from_insert and features.supports_ignore_conflicts:
        qn = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"
            f" VALUES ({', '.join(['%s'] * len(fields))})"
            f" ON CONFLICT DO NOTHING RETURNING {qn(meta.pk.column)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            row = cursor.fetchone()
        if row is None:
            return False
        obj.pk = row[0]
        obj._state.adding = False
        obj._state.db = connection.alias
        return True
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError:
        if type(obj)._default_manager.filter(**unique).exists():
            return False
        raise
    return True
