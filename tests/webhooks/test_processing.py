"""What a received event does to its enrollment, for every partner: applied once, in any
order, deferred while its enrollment is unknown, failed (and rolled back) on an error."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from enrollments.models import Certificate, EnrollmentEvent, EnrollmentStatus
from tests.webhooks.conftest import enrollment_for, event_body, last_delivery
from webhooks import processing
from webhooks.models import EventStatus, WebhookEvent
from webhooks.processing import event_process
from webhooks.replay import events_redrive


def later(*, minutes: int):
    """The clock moved on (the sweep and the tasks it runs both see it)."""
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def at(minutes: int) -> str:
    return (timezone.now() - timedelta(hours=1) + timedelta(minutes=minutes)).isoformat()


def test_progress_never_goes_down(sender, enrollment):
    eid = enrollment.external_enrollment_id
    sender.post(event_body("progress.updated", eid, progress_percent=80, timestamp=at(2)))
    sender.post(event_body("progress.updated", eid, progress_percent=40, timestamp=at(1)))
    sender.post(event_body("progress.updated", eid, progress_percent=40, timestamp=at(3)))

    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 80
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {EventStatus.PROCESSED}


def test_completed_never_goes_back(sender, enrollment):
    eid = enrollment.external_enrollment_id
    sender.post(event_body("course.completed", eid, passed=True, score=91, timestamp=at(5)))
    sender.post(event_body("progress.updated", eid, progress_percent=60, timestamp=at(1)))
    sender.post(event_body("progress.updated", eid, progress_percent=70, timestamp=at(9)))

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED
    assert enrollment.progress_percent == 100
    assert enrollment.completed_at is not None


def test_certificate_is_set_once(sender, enrollment):
    eid = enrollment.external_enrollment_id
    certificate = {"number": f"{sender.slug}-C-1", "issued_at": at(4)}
    sender.post(event_body("certificate.issued", eid, passed=True, certificate=certificate))
    other = {"number": f"{sender.slug}-C-2", "issued_at": at(5)}
    sender.post(event_body("certificate.issued", eid, passed=True, certificate=other))

    assert Certificate.objects.get(enrollment=enrollment).number == f"{sender.slug}-C-1"
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED


def test_processing_twice_applies_once(sender, enrollment):
    body = event_body("progress.updated", enrollment.external_enrollment_id, progress_percent=50)
    sender.post(body)
    event = WebhookEvent.objects.get()

    # A redelivered task, then a staff replay of the processed event.
    assert event_process(event_id=event.pk) == EventStatus.PROCESSED
    assert event_process(event_id=event.pk, force=True) == EventStatus.PROCESSED

    event.refresh_from_db()
    assert event.attempts == 2  # the redelivered task did not even count as an attempt
    assert EnrollmentEvent.objects.filter(enrollment=enrollment).count() == 1


def test_event_before_its_enrollment_is_deferred_then_processed(sender):
    external_id = f"{sender.slug.upper()}-LATE-1"
    response = sender.post(
        event_body("progress.updated", external_id, progress_percent=35), msg_id="msg_late"
    )
    assert response.json() == {"status": "accepted"}
    event = last_delivery().event
    event.refresh_from_db()
    assert event.status == EventStatus.DEFERRED
    assert external_id in event.last_error
    assert event.traceback == ""
    first_retry = event.next_attempt_at - timezone.now()
    assert timedelta(seconds=50) < first_retry < timedelta(seconds=70)

    # Not due yet: the sweep leaves it alone.
    assert events_redrive() == 0
    enrollment = enrollment_for(sender.slug, external_id)
    with later(minutes=2):
        assert events_redrive() == 1

    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    assert event.attempts == 2
    assert event.enrollment == enrollment
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 35


def test_deferral_backs_off_and_fails_after_the_deferral_window(sender, settings):
    sender.post(event_body("progress.updated", "NOBODY-1", progress_percent=35))
    event = WebhookEvent.objects.get()
    waits = []
    now = timezone.now()
    while True:
        event.refresh_from_db()
        if event.status != EventStatus.DEFERRED:
            break
        waits.append(event.next_attempt_at - now)
        now = event.next_attempt_at
        assert event_process(event_id=event.pk, now=now) in (
            EventStatus.DEFERRED,
            EventStatus.FAILED,
        )

    assert event.status == EventStatus.FAILED
    assert "24 h" in event.last_error
    assert event.next_attempt_at is None
    assert waits[1] > waits[0] * 1.5  # backing off
    assert max(waits) <= timedelta(hours=1, minutes=6)  # capped, with jitter
    assert now - event.received_at >= timedelta(hours=settings.WEBHOOK_DEFER_HOURS)
    assert 20 < event.attempts < 40


def test_a_failed_deferral_opens_an_alert(sender):
    from monitoring.alerts import alerts_evaluate
    from monitoring.models import Alert

    sender.post(event_body("progress.updated", "NOBODY-2", progress_percent=35))
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(hours=25))
    with later(minutes=2):
        assert events_redrive() == 1
    assert WebhookEvent.objects.get().status == EventStatus.FAILED

    alerts_evaluate()
    alert = Alert.objects.get(rule="webhook_events_stuck", partner__slug=sender.slug)
    assert "1 failed" in alert.message


def test_handler_error_fails_the_event_and_rolls_the_work_back(sender, enrollment, monkeypatch):
    real_apply = processing.enrollment_apply_event

    def apply_then_crash(event):
        real_apply(event)  # the work is done ...
        raise RuntimeError("mail server exploded")  # ... and then something breaks

    monkeypatch.setattr(processing, "enrollment_apply_event", apply_then_crash)
    eid = enrollment.external_enrollment_id
    response = sender.post(event_body("progress.updated", eid, progress_percent=65))

    assert response.json() == {"status": "accepted"}  # stored: our failure, not theirs
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.FAILED
    assert event.last_error == "RuntimeError: mail server exploded"
    assert "apply_then_crash" in event.traceback
    assert event.processed_at is None
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 0
    assert not EnrollmentEvent.objects.filter(enrollment=enrollment).exists()

    # A failed event waits for staff: neither a redelivered task nor the sweep retries it.
    monkeypatch.setattr(processing, "enrollment_apply_event", real_apply)
    assert event_process(event_id=event.pk) == EventStatus.FAILED
    with later(minutes=24 * 60):
        assert events_redrive() == 0


def test_lost_broker_message_is_picked_up_by_the_sweep(sender, enrollment, monkeypatch):
    from webhooks import tasks

    real_delay = tasks.process_webhook_events.delay
    monkeypatch.setattr(tasks.process_webhook_events, "delay", lambda *a, **k: None)
    eid = enrollment.external_enrollment_id
    sender.post(event_body("progress.updated", eid, progress_percent=45))
    monkeypatch.setattr(tasks.process_webhook_events, "delay", real_delay)
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.RECEIVED

    assert events_redrive() == 0  # just committed: its own message may still be on the way
    with later(minutes=6):
        assert events_redrive() == 1
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 45


def test_the_reconcile_task_is_scheduled(settings):
    schedule = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["webhooks.tasks.reconcile_webhook_events"] == settings.WEBHOOK_RECONCILE_SECONDS


def test_event_found_by_student_and_course(sender):
    enrollment = enrollment_for(sender.slug)
    enrollment.external_enrollment_id = ""  # the partner only knows our references
    enrollment.save()
    body = {
        "type": "progress.updated",
        "timestamp": at(1),
        "data": {
            "student_ref": enrollment.student.external_ref,
            "course_code": enrollment.course.code,
            "progress_percent": 25,
        },
    }
    sender.post(body)
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 25


def test_a_batch_commits_each_events_outcome_and_rolls_back_only_the_failed_work(
    partner_sender, monkeypatch, settings
):
    """Workers take events in batches, one transaction per batch."""
    from webhooks.processing import events_process

    settings.CELERY_TASK_ALWAYS_EAGER = False  # nothing processed on receipt
    monkeypatch.setattr("webhooks.publishing._publisher.put", lambda event_id: None)
    hsi = partner_sender("hsi")
    good, bad = enrollment_for("hsi"), enrollment_for("hsi")
    hsi.post(event_body("progress.updated", good.external_enrollment_id, progress_percent=30))
    hsi.post(event_body("progress.updated", bad.external_enrollment_id, progress_percent=60))
    hsi.post(event_body("progress.updated", "HSI-NOT-YET", progress_percent=10))
    ids = list(WebhookEvent.objects.order_by("pk").values_list("pk", flat=True))

    real_apply = processing.enrollment_apply_event

    def crash_on_bad(event):
        result = real_apply(event)
        if event.external_enrollment_id == bad.external_enrollment_id:
            raise RuntimeError("boom")
        return result

    monkeypatch.setattr(processing, "enrollment_apply_event", crash_on_bad)
    statuses = events_process(event_ids=ids)

    assert list(statuses.values()) == [
        EventStatus.PROCESSED,
        EventStatus.FAILED,
        EventStatus.DEFERRED,
    ]
    stored = dict(WebhookEvent.objects.values_list("pk", "status"))
    assert stored == statuses
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.progress_percent, bad.progress_percent) == (30, 0)
    assert WebhookEvent.objects.get(pk=ids[0]).enrollment == good
    assert "boom" in WebhookEvent.objects.get(pk=ids[1]).last_error


def test_a_lock_conflict_is_retried_not_failed(sender, enrollment, monkeypatch, settings):
    from django.db import OperationalError

    from webhooks.processing import events_process

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr("webhooks.publishing._publisher.put", lambda event_id: None)
    eid = enrollment.external_enrollment_id
    sender.post(event_body("progress.updated", eid, progress_percent=20))
    sender.post(event_body("progress.updated", eid, progress_percent=40, timestamp=at(30)))
    ids = list(WebhookEvent.objects.order_by("pk").values_list("pk", flat=True))
    real_apply = processing.enrollment_apply_event
    # Once in the batch's first pass (which then goes event by event), once there.
    conflicts = [OperationalError("deadlock detected"), OperationalError("deadlock detected")]

    def deadlock_once(event):
        if event.progress_percent == 40 and conflicts:
            raise conflicts.pop()
        return real_apply(event)

    monkeypatch.setattr(processing, "enrollment_apply_event", deadlock_once)
    statuses = events_process(event_ids=ids)

    assert set(statuses.values()) == {EventStatus.PROCESSED}
    assert list(WebhookEvent.objects.order_by("pk").values_list("attempts", flat=True)) == [1, 1]
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 40


def test_a_batch_that_applies_cleanly_takes_one_pass_and_three_statements_per_event(
    partner_sender, monkeypatch, settings
):
    """What keeps one worker fast: no savepoint per event unless an event fails, and a
    fixed number of statements per event (find and lock, record, update)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from webhooks.processing import events_process

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr("webhooks.publishing._publisher.put", lambda event_id: None)
    hsi = partner_sender("hsi")
    enrollments = [enrollment_for("hsi") for _ in range(5)]
    for n, e in enumerate(enrollments):
        hsi.post(event_body("progress.updated", e.external_enrollment_id, progress_percent=n + 10))
    ids = list(WebhookEvent.objects.order_by("pk").values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as queries:
        statuses = events_process(event_ids=ids)

    assert set(statuses.values()) == {EventStatus.PROCESSED}
    sql = [q["sql"] for q in queries.captured_queries]
    # One SAVEPOINT and its RELEASE: the batch's transaction, inside the test's.
    assert len([q for q in sql if "SAVEPOINT" in q]) == 2
    # Per event: the enrollment, its EnrollmentEvent, its UPDATE. Per batch: the events,
    # their adapters' partner, their outcomes (and the transaction around them).
    per_event = [q for q in sql if "enrollments_enrollment" in q]
    assert len(per_event) == 3 * len(ids)
    assert len(sql) - len(per_event) <= 5
    for n, e in enumerate(enrollments):
        e.refresh_from_db()
        assert e.progress_percent == n + 10


def test_a_batch_with_an_unknown_enrollment_is_rolled_back_and_applied_event_by_event(
    partner_sender, monkeypatch, settings
):
    from webhooks.processing import events_process

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr("webhooks.publishing._publisher.put", lambda event_id: None)
    hsi = partner_sender("hsi")
    known = enrollment_for("hsi")
    hsi.post(event_body("progress.updated", known.external_enrollment_id, progress_percent=30))
    hsi.post(event_body("progress.updated", "HSI-NOT-YET", progress_percent=10))
    hsi.post(event_body("progress.updated", known.external_enrollment_id, progress_percent=70))
    ids = list(WebhookEvent.objects.order_by("pk").values_list("pk", flat=True))

    statuses = events_process(event_ids=ids)

    assert list(statuses.values()) == [
        EventStatus.PROCESSED,
        EventStatus.DEFERRED,
        EventStatus.PROCESSED,
    ]
    assert list(WebhookEvent.objects.order_by("pk").values_list("attempts", flat=True)) == [
        1,
        1,
        1,
    ]
    known.refresh_from_db()
    assert known.progress_percent == 70
    assert EnrollmentEvent.objects.filter(enrollment=known).count() == 2


def test_a_long_batch_is_applied_a_few_events_to_a_transaction(
    partner_sender, monkeypatch, settings
):
    """A Celery message carries up to publishing.BATCH ids; the worker commits every
    EVENTS_PER_TRANSACTION of them, so the enrollment rows locked are not held long."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from webhooks.processing import events_process

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr("webhooks.publishing._publisher.put", lambda event_id: None)
    monkeypatch.setattr(processing, "EVENTS_PER_TRANSACTION", 2)
    hsi = partner_sender("hsi")
    for _ in range(6):
        hsi.post(event_body("progress.updated", enrollment_for("hsi").external_enrollment_id))
    ids = list(WebhookEvent.objects.order_by("pk").values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as queries:
        statuses = events_process(event_ids=ids)

    assert list(statuses) == ids
    assert set(statuses.values()) == {EventStatus.PROCESSED}
    # Inside the test's transaction each of the three transactions is a savepoint.
    opened = [q for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT")]
    assert len(opened) == 3


def test_the_sweep_enqueues_a_backlog_in_batches(partner_sender, monkeypatch, settings):
    """After a broker outage: every event left received goes out again, BATCH ids to a
    message, and is processed."""
    from webhooks import publishing, tasks

    monkeypatch.setattr(publishing, "BATCH", 2)
    real_delay = tasks.process_webhook_events.delay
    monkeypatch.setattr(tasks.process_webhook_events, "delay", lambda *a, **k: None)  # lost
    hsi = partner_sender("hsi")
    enrollments = [enrollment_for("hsi") for _ in range(5)]
    for e in enrollments:
        hsi.post(event_body("progress.updated", e.external_enrollment_id, progress_percent=35))
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {EventStatus.RECEIVED}

    sent = []
    monkeypatch.setattr(
        tasks.process_webhook_events, "delay", lambda ids: sent.append(ids) or real_delay(ids)
    )
    with later(minutes=6):
        assert events_redrive() == 5
    assert [len(ids) for ids in sent] == [2, 2, 1]
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {EventStatus.PROCESSED}
    for e in enrollments:
        e.refresh_from_db()
        assert e.progress_percent == 35
