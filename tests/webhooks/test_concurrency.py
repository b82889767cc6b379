"""The same event posted 20 times at once, for every partner, on PostgreSQL (real row locks
and a real unique index): one event, processed once, 20 delivery rows, no 5xx."""

import json
import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from enrollments.models import EnrollmentEvent
from partners.registry import PARTNER_SLUGS, clear_adapters
from partners.webhook_signing import signed_headers
from tests.webhooks.conftest import enrollment_for, event_body, secret_of, url
from webhooks.models import DeliveryVerdict, EventStatus, WebhookDelivery, WebhookEvent

COPIES = 20


def post_at_once(path: str, raw: bytes, headers: dict, copies: int) -> list[tuple[int, dict]]:
    start = threading.Barrier(copies)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def send():
        try:
            start.wait()
            response = Client().post(
                path, data=raw, content_type="application/json", headers=headers
            )
            with lock:
                answers.append((response.status_code, response.json()))
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.postgres
@pytest.mark.parametrize("slug", PARTNER_SLUGS)
def test_twenty_concurrent_copies_make_one_event_processed_once(postgres, catalogue, slug):
    clear_adapters()
    enrollment = enrollment_for(slug)
    body = event_body("progress.updated", enrollment.external_enrollment_id, progress_percent=70)
    raw = json.dumps(body).encode()
    headers = signed_headers(secret_of(slug), f"msg_burst_{slug}", raw)
    headers.pop("content-type")

    answers = post_at_once(url(slug), raw, headers, COPIES)

    assert len(answers) == COPIES
    assert Counter(status for status, _ in answers) == {200: COPIES}
    assert Counter(a["status"] for _, a in answers) == {"accepted": 1, "duplicate": COPIES - 1}
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.PROCESSED
    assert event.attempts == 1
    deliveries = Counter(WebhookDelivery.objects.values_list("verdict", "event_id"))
    assert deliveries == {
        (DeliveryVerdict.ACCEPTED, event.pk): 1,
        (DeliveryVerdict.DUPLICATE, event.pk): COPIES - 1,
    }
    assert EnrollmentEvent.objects.filter(enrollment=enrollment).count() == 1
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 70
