"""`Idempotency-Key` on POST: a retried request gets the first answer again instead of
doing the work twice.

The key is scoped to the user. The first successful answer (2xx) is stored with a
fingerprint of the request body and replayed, with its status, to every later request
carrying the same key and body. The same key with a different body is refused (422):
it is a client bug, and guessing which body was meant would be worse. A request that
failed stores nothing, so it can be retried with the same key once the cause is fixed.

Race-safety: the key row is inserted first, in the same transaction as the work. A
concurrent request with the same key blocks on the unique index until that transaction
ends; if it committed, the insert fails and the stored answer is replayed; if it rolled
back, the waiting request does the work itself. The work therefore runs at most once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from enrollments.api.errors import Unprocessable
from enrollments.models import ApiIdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = ApiIdempotencyKey._meta.get_field("key").max_length


def idempotency_key(request: Request) -> str | None:
    """The request's key, None without the header; 400 for an empty or overlong one."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise serializers.ValidationError(
            {HEADER: [f"Send between 1 and {MAX_KEY_LENGTH} characters, e.g. a UUID."]}
        )
    return key


def request_fingerprint(data: Any) -> str:
    """A hash of the body that ignores key order and whitespace: the same JSON object
    sent twice gives the same fingerprint however the client serialised it."""
    if hasattr(data, "lists"):  # a form-encoded QueryDict
        data = {name: values[0] if len(values) == 1 else values for name, values in data.lists()}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def answer_once(*, request: Request, key: str, answer: Callable[[], Response]) -> Response:
    """Run `answer` once per (user, key); replay its answer to the request's repeats."""
    fingerprint = request_fingerprint(request.data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Placeholder status and body: no other transaction can see this row
                # before it is filled in below and committed.
                record = ApiIdempotencyKey.objects.create(
                    user=request.user, key=key, fingerprint=fingerprint, status=0, body={}
                )
        except IntegrityError:
            stored = ApiIdempotencyKey.objects.get(user=request.user, key=key)
            return _replay(stored, fingerprint)
        response = answer()
        if not 200 <= response.status_code < 300:
            transaction.set_rollback(True)  # nothing done, nothing to remember
            return response
        record.status = response.status_code
        # Stored as rendered (decimals and dates as the client got them), not as objects.
        record.body = json.loads(JSONRenderer().render(response.data))
        record.save(update_fields=["status", "body"])
    return response


def _replay(stored: ApiIdempotencyKey, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        raise Unprocessable(
            f"This {HEADER} was already used with a different request body. "
            "Use a new key for a new request.",
            code="idempotency_key_reused",
        )
    return Response(stored.body, status=stored.status, headers={REPLAYED_HEADER: "true"})


def idempotency_keys_prune(*, now: datetime | None = None) -> int:
    """Forget answers kept for replay once clients have stopped retrying
    (API_IDEMPOTENCY_KEY_HOURS); return how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.API_IDEMPOTENCY_KEY_HOURS)
    return ApiIdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]
