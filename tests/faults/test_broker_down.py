"""Drill: the broker stops while webhooks arrive.

A partner posts signed webhooks (spec v1) to gunicorn; a Celery worker applies them and
Celery beat runs the reconcile sweep. Part-way through, the drill's own Redis (broker and
cache) is stopped; the partner goes on posting. Every delivery must still be answered
200 and stored: the receiver stores first and publishes from a background thread, so a
broker outage costs the request nothing. Redis then comes back empty (no persistence:
whatever it held is lost), and every event must be applied exactly once.

What the docs promise (docs/webhooks.md, "Event statuses"): an event left `received` is
re-enqueued by the reconcile job (every WEBHOOK_RECONCILE_SECONDS, 60 s) once it has
waited RECEIVED_GRACE (5 minutes, webhooks/replay.py). For the drill beat runs the job
every 2 s (WEBHOOK_RECONCILE_SECONDS=2), and the grace is run out by moving the waiting
events' received_at back by RECEIVED_GRACE, as if the 5 minutes had passed; from then on
they must be applied within a few reconcile intervals (the deadline below), as they would
be within a minute of the grace in production.
"""

import itertools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from enrollments.models import Enrollment, EnrollmentEvent, EnrollmentStatus
from partners.config import get_partner_config
from partners.models import PartnerCourse
from partners.webhook_signing import signed_headers
from tests.factories import make_enrollment
from tests.faults.conftest import wait_for
from webhooks.models import DeliveryVerdict, EventStatus, WebhookDelivery, WebhookEvent
from webhooks.replay import RECEIVED_GRACE

pytestmark = pytest.mark.faults

SLUG = "nds"
ENROLLMENTS = 8
BEFORE, DURING = 16, 32  # webhooks posted before and while the broker is down
RECONCILE_SECONDS = 2
# Once due, the waiting events are applied within this: a few sweeps, plus the worker and
# beat reconnecting to the broker that came back.
APPLIED_WITHIN = 30.0


class Partner:
    """Posts signed spec v1 webhooks to the drill's web server, as a partner does."""

    def __init__(self, drill, slug: str):
        self.drill, self.slug = drill, slug
        self.secret = get_partner_config(slug).webhook_secrets[0]
        self.ids = itertools.count(1)
        self.sent: list[tuple[str, str, int]] = []  # (webhook id, enrollment id, progress)

    def post(self, external_id: str, progress: int) -> tuple[str, int]:
        webhook_id = f"msg_drill_{self.slug}_{next(self.ids)}"
        raw = json.dumps(
            {
                "type": "progress.updated",
                "timestamp": timezone.now().isoformat(),
                "data": {"enrollment_id": external_id, "progress_percent": progress},
            }
        ).encode()
        response = self.drill.http.post(
            f"{self.drill.site_url}/webhooks/partners/{self.slug}/",
            data=raw,
            headers=signed_headers(self.secret, webhook_id, raw),
            timeout=30,
        )
        self.sent.append((webhook_id, external_id, progress))
        return webhook_id, response.status_code


def test_webhooks_during_a_broker_outage_are_stored_and_applied_once_after(drill):
    course = PartnerCourse.objects.filter(partner__slug=SLUG).first()
    enrollments = [
        make_enrollment(
            course=course, status=EnrollmentStatus.ACTIVE, external_enrollment_id=f"NDS-E-{i}"
        )
        for i in range(ENROLLMENTS)
    ]
    drill.web()
    drill.worker(concurrency=2)
    drill.beat(WEBHOOK_RECONCILE_SECONDS=str(RECONCILE_SECONDS))
    partner = Partner(drill, SLUG)
    progress = itertools.count(1)

    def post_batch(n: int) -> list[tuple[str, int]]:
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(
                pool.map(
                    lambda i: partner.post(
                        enrollments[i % ENROLLMENTS].external_enrollment_id, next(progress)
                    ),
                    range(n),
                )
            )

    answered = post_batch(BEFORE)
    time.sleep(0.5)  # the web processes' publisher sends what it holds
    drill.redis.stop()
    down_at = time.monotonic()
    for _ in range(4):  # spread over a few seconds: the worker and beat notice the loss
        answered += post_batch(DURING // 4)
        time.sleep(0.75)
    down_for = time.monotonic() - down_at

    # Every delivery answered 200 and stored, the broker down or not.
    assert [status for _, status in answered] == [200] * (BEFORE + DURING), answered
    ids = [webhook_id for webhook_id, _ in answered]
    deliveries = WebhookDelivery.objects.filter(webhook_id__in=ids)
    assert deliveries.count() == len(ids)
    assert set(deliveries.values_list("verdict", flat=True)) == {DeliveryVerdict.ACCEPTED}
    assert WebhookEvent.objects.filter(webhook_id__in=ids).count() == len(ids)
    waiting = WebhookEvent.objects.filter(webhook_id__in=ids, status=EventStatus.RECEIVED)
    assert waiting.count() >= DURING, "the outage left fewer events waiting than it received"

    drill.redis.start()  # empty: what the broker held is gone
    # The grace runs out (5 minutes in production).
    waiting.update(received_at=timezone.now() - RECEIVED_GRACE - timedelta(seconds=1))
    back_at = time.monotonic()

    def statuses() -> dict[str, int]:
        events = WebhookEvent.objects.filter(webhook_id__in=ids)
        return {s: events.filter(status=s).count() for s in EventStatus.values}

    wait_for(
        "every event applied after the broker came back",
        lambda: statuses()[EventStatus.PROCESSED] == len(ids),
        seconds=APPLIED_WITHIN,
        every=0.25,
        seen=lambda: f"events by status: {statuses()} (outage {down_for:.1f} s){drill.tails()}",
    )
    applied_after = time.monotonic() - back_at

    # Applied exactly once: one EnrollmentEvent per webhook, none twice, none missing.
    applied = list(
        EnrollmentEvent.objects.filter(enrollment__in=enrollments).values_list(
            "event_key", flat=True
        )
    )
    assert len(applied) == len(ids), (len(applied), len(ids))
    assert len(set(applied)) == len(applied)
    assert all(any(key.endswith(webhook_id) for key in applied) for webhook_id in ids), applied
    # And each enrollment shows the highest progress it was sent.
    highest: dict[str, int] = {}
    for _, external_id, sent_progress in partner.sent:
        highest[external_id] = max(highest.get(external_id, 0), sent_progress)
    assert dict(
        Enrollment.objects.filter(pk__in=[e.pk for e in enrollments]).values_list(
            "external_enrollment_id", "progress_percent"
        )
    ) == {external_id: min(p, 100) for external_id, p in highest.items()}
    print(f"outage {down_for:.1f} s; all {len(ids)} applied {applied_after:.1f} s after it ended")


def test_a_webhook_is_applied_through_the_broker_without_waiting_for_reconcile(drill):
    course = PartnerCourse.objects.filter(partner__slug=SLUG).first()
    enrollment = make_enrollment(
        course=course, status=EnrollmentStatus.ACTIVE, external_enrollment_id="NDS-E-1"
    )
    drill.web()
    drill.worker(concurrency=2)  # no beat: nothing but the receiver's publisher queues work
    webhook_id, status = Partner(drill, SLUG).post(enrollment.external_enrollment_id, 40)
    assert status == 200
    event = WebhookEvent.objects.get(webhook_id=webhook_id)
    wait_for(
        "the event applied through the broker",
        lambda: WebhookEvent.objects.filter(pk=event.pk, status=EventStatus.PROCESSED).exists(),
        seconds=10,
        seen=drill.tails,
    )
