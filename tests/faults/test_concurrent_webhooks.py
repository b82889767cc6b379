"""Drill: 100 webhooks at once for one enrollment, in random order.

Sixteen threads post signed webhooks to gunicorn (2 processes of 8 threads): 100 for
enrollment A, all progress updates with random percentages, and 100 for enrollment B,
where some are completions. Four worker processes apply them at the same time. A must end
at the highest progress it was sent and still active; B completed, at 100 %, with the
earliest completion time it was sent and exactly one "course completed" e-mail. Every
event is applied once.

The events are handed to the workers one per message (webhooks.publishing.publish, from
this process), so the four worker processes really apply them concurrently: the web
process's own publisher cannot publish today (the defect recorded in
test_broker_down.py), and would put up to 100 ids in one message anyway.
"""

import itertools
import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from enrollments.models import EmailKind, EnrollmentEvent, EnrollmentStatus, StudentEmail
from partners.config import get_partner_config
from partners.models import PartnerCourse
from partners.webhook_signing import signed_headers
from tests.factories import make_enrollment
from tests.faults.conftest import wait_for
from webhooks.models import EventStatus, WebhookEvent
from webhooks.publishing import publish

pytestmark = pytest.mark.faults

SLUG = "nds"
PER_ENROLLMENT = 100
COMPLETIONS = 10  # of B's 100


def test_100_concurrent_webhooks_end_at_the_highest_progress_with_one_completion_email(
    drill, publish_to_drill
):
    course = PartnerCourse.objects.filter(partner__slug=SLUG).first()
    a, b = (
        make_enrollment(
            course=course, status=EnrollmentStatus.ACTIVE, external_enrollment_id=f"NDS-E-{x}"
        )
        for x in "AB"
    )
    rng = random.Random()
    start = timezone.now() - timedelta(hours=1)
    ids = itertools.count(1)
    bodies = []
    for enrollment, completions in ((a, 0), (b, COMPLETIONS)):
        for n in range(PER_ENROLLMENT):
            occurred = start + timedelta(seconds=rng.randrange(3600))
            data = {"enrollment_id": enrollment.external_enrollment_id}
            if n < completions:
                kind = "course.completed"
                data.update(progress_percent=100, passed=True, completed_at=occurred.isoformat())
            else:
                kind = "progress.updated"
                data["progress_percent"] = rng.randint(1, 99)
            bodies.append(
                (
                    f"msg_concurrent_{next(ids)}",
                    {"type": kind, "timestamp": occurred.isoformat(), "data": data},
                )
            )
    rng.shuffle(bodies)
    secret = get_partner_config(SLUG).webhook_secrets[0]
    drill.web(workers=2, threads=8)
    drill.worker(concurrency=4)

    def post(item) -> int:
        webhook_id, body = item
        raw = json.dumps(body).encode()
        return drill.http.post(
            f"{drill.site_url}/webhooks/partners/{SLUG}/",
            data=raw,
            headers=signed_headers(secret, webhook_id, raw),
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(post, bodies))
    assert statuses == [200] * len(bodies)

    webhook_ids = [webhook_id for webhook_id, _ in bodies]
    events = WebhookEvent.objects.filter(webhook_id__in=webhook_ids)
    assert events.count() == len(bodies)
    pending = list(events.exclude(status=EventStatus.PROCESSED).values_list("pk", flat=True))
    rng.shuffle(pending)
    for pk in pending:
        publish([pk])

    def processed() -> int:
        return events.filter(status=EventStatus.PROCESSED).count()

    wait_for(
        "every event applied",
        lambda: processed() == len(bodies),
        seconds=60,
        every=0.25,
        seen=lambda: f"{processed()}/{len(bodies)} processed{drill.tails()}",
    )

    a.refresh_from_db()
    b.refresh_from_db()
    sent = {a.external_enrollment_id: [], b.external_enrollment_id: []}
    completed_at = []
    for _, body in bodies:
        sent[body["data"]["enrollment_id"]].append(body["data"]["progress_percent"])
        if body["type"] == "course.completed":
            completed_at.append(body["data"]["completed_at"])
    assert (a.status, a.progress_percent) == (
        EnrollmentStatus.ACTIVE,
        max(sent[a.external_enrollment_id]),
    )
    assert (b.status, b.progress_percent) == (EnrollmentStatus.COMPLETED, 100)
    assert b.completed_at.isoformat() == min(completed_at)
    emails = StudentEmail.objects.filter(kind=EmailKind.COURSE_COMPLETED)
    assert list(emails.values_list("enrollment_id", flat=True)) == [b.pk]
    # At no moment did progress go down: applied one at a time under the row lock, the
    # events that raised it did so in the order they were recorded.
    for enrollment in (a, b):
        raised = [
            changes["progress_percent"]
            for changes in EnrollmentEvent.objects.filter(enrollment=enrollment)
            .order_by("pk")
            .values_list("changes", flat=True)
            if "progress_percent" in changes
        ]
        assert raised == sorted(set(raised)), raised
        keys = list(
            EnrollmentEvent.objects.filter(enrollment=enrollment).values_list(
                "event_key", flat=True
            )
        )
        assert len(keys) == len(set(keys)) == PER_ENROLLMENT
