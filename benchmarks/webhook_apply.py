"""Webhook events applied per second by one worker, against a floor of bare ORM updates of
the same enrollment rows.

On a throwaway PostgreSQL database: ENROLLMENTS enrollments, each sent STEPS
progress.updated events (rising, newest last). Runs over the same rows, reset in
between:

- floor:        one `Enrollment.objects.filter(pk=...).update(...)` per event
- one worker:   a Celery worker (solo pool, concurrency 1) on a Redis broker, fed as the
                receiver feeds it (batches of ids from webhooks.publishing)
- in-process:   `events_process` called in a loop, no broker (what the worker's tasks
                do), in batches as the worker gets them and one event at a time

The floor and the worker take turns for ROUNDS rounds (one worker stays up), so a change
in the machine's load falls on both; the ratio printed is the median of the rounds'.
Printed, not asserted; the target is one worker / floor >= 0.25.

    .venv/bin/python benchmarks/webhook_apply.py [--enrollments 500] [--steps 4] [--rounds 3]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at 127.0.0.1:6379;
uses (and drops) the database bench_webhooks and Redis database 5.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from datetime import timedelta

import webhook_bench_env as bench
from _results import result

PROGRESS = (25, 50, 75, 90, 95, 99)


def make_rows(enrollments: int, steps: int) -> list[tuple[int, int, int]]:
    """The enrollments, and their events in arrival order: (event id, enrollment id, %)."""
    from django.utils import timezone

    from enrollments.models import Enrollment, EnrollmentStatus, Student
    from partners.models import Partner, PartnerCourse
    from webhooks.models import WebhookEvent

    partners = {p.slug: p for p in Partner.objects.all()}
    courses = {slug: PartnerCourse.objects.filter(partner__slug=slug).first() for slug in partners}
    students = Student.objects.bulk_create(
        Student(external_ref=f"B-{n}", first_name="Bench", last_name=f"S{n}", email=f"{n}@b.test")
        for n in range(enrollments)
    )
    slugs = sorted(partners)
    rows = Enrollment.objects.bulk_create(
        Enrollment(
            student=student,
            course=courses[slugs[n % len(slugs)]],
            partner=partners[slugs[n % len(slugs)]],
            status=EnrollmentStatus.ACTIVE,
            external_enrollment_id=f"BENCH-E-{n}",
        )
        for n, student in enumerate(students)
    )
    start = timezone.now() - timedelta(hours=1)
    events, targets = [], []
    for step in range(steps):
        for n, enrollment in enumerate(rows):
            when = start + timedelta(minutes=step)
            events.append(
                WebhookEvent(
                    partner=enrollment.partner,
                    webhook_id=f"msg_{n}_{step}",
                    event_type="progress.updated",
                    occurred_at=when,
                    payload={
                        "type": "progress.updated",
                        "timestamp": when.isoformat(),
                        "data": {
                            "enrollment_id": enrollment.external_enrollment_id,
                            "progress_percent": PROGRESS[step % len(PROGRESS)],
                        },
                    },
                )
            )
            targets.append((enrollment.pk, PROGRESS[step % len(PROGRESS)]))
    # PostgreSQL hands the new ids back to bulk_create.
    WebhookEvent.objects.bulk_create(events, batch_size=1000)
    return [(e.pk, pk, percent) for e, (pk, percent) in zip(events, targets, strict=True)]


def reset() -> None:
    """Enrollments back to untouched, events back to received."""
    from enrollments.models import Enrollment, EnrollmentEvent
    from webhooks.models import EventStatus, WebhookEvent

    EnrollmentEvent.objects.all().delete()
    Enrollment.objects.update(
        progress_percent=0, last_event_at=None, started_at=None, partner_data={}
    )
    WebhookEvent.objects.update(
        status=EventStatus.RECEIVED, attempts=0, processed_at=None, enrollment=None
    )


def floor(events: list[tuple[int, int, int]]) -> float:
    from django.utils import timezone

    from enrollments.models import Enrollment

    started = time.perf_counter()
    for _, enrollment_id, percent in events:
        Enrollment.objects.filter(pk=enrollment_id).update(
            progress_percent=percent, last_event_at=timezone.now()
        )
    return len(events) / (time.perf_counter() - started)


def in_process(events: list[tuple[int, int, int]], batch: int) -> float:
    from webhooks.processing import events_process

    ids = [event_id for event_id, _, _ in events]
    started = time.perf_counter()
    for n in range(0, len(ids), batch):
        events_process(event_ids=ids[n : n + batch])
    return len(events) / (time.perf_counter() - started)


class Worker:
    """One Celery worker (solo pool) for the whole benchmark, warmed up once."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [
                str(bench.ROOT / ".venv" / "bin" / "celery"),
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--concurrency",
                "1",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=bench.ROOT,
            env=bench.environment(),
        )

    def rate(self, events: list[tuple[int, int, int]]) -> float:
        """Events applied per second: the first batch warms the worker up (and tells that
        it is ready), the rest are timed."""
        from webhooks.publishing import BATCH
        from webhooks.tasks import process_webhook_events

        ids = [event_id for event_id, _, _ in events]
        warm, timed = ids[:BATCH], ids[BATCH:]
        process_webhook_events.delay(warm)
        self.wait_for(len(warm), limit=120)
        started = time.perf_counter()
        for n in range(0, len(timed), BATCH):
            process_webhook_events.delay(timed[n : n + BATCH])
        self.wait_for(len(ids))
        return len(timed) / (time.perf_counter() - started)

    @staticmethod
    def wait_for(count: int, limit: float = 600) -> None:
        from webhooks.models import EventStatus, WebhookEvent

        def processed() -> int:
            return WebhookEvent.objects.filter(status=EventStatus.PROCESSED).count()

        deadline = time.monotonic() + limit
        while processed() < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"the worker processed {processed()} of {count} events")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=500)
    parser.add_argument("--steps", type=int, default=4, help="events per enrollment")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    bench.create_database()
    bench.flush_broker()
    worker = None
    try:
        bench.setup_django()
        from enrollments.models import Enrollment, EnrollmentEvent
        from webhooks.publishing import BATCH

        events = make_rows(args.enrollments, args.steps)
        worker = Worker()
        floor_rates, worker_rates = [], []
        for _ in range(args.rounds):
            reset()
            floor_rates.append(floor(events))
            reset()
            worker_rates.append(worker.rate(events))
            applied = EnrollmentEvent.objects.count()
            at_top = Enrollment.objects.filter(progress_percent=PROGRESS[args.steps - 1]).count()
            if applied != len(events) or at_top != args.enrollments:
                raise SystemExit(
                    f"the worker applied {applied} of {len(events)} events; {at_top} of "
                    f"{args.enrollments} enrollments at their last progress"
                )
        worker.stop()
        worker = None
        reset()
        single_rate = in_process(events, 1)
        reset()
        local_rate = in_process(events, BATCH)
        floor_rate, worker_rate = statistics.median(floor_rates), statistics.median(worker_rates)
        ratio = statistics.median(w / f for w, f in zip(worker_rates, floor_rates, strict=True))
        print(
            f"{len(events)} events ({args.steps} per enrollment, {args.enrollments} "
            f"enrollments), PostgreSQL, {args.rounds} rounds (median rates)"
        )
        print(f"  floor (bare ORM update per event): {floor_rate:8.0f} /s")
        print(f"  one worker (Celery, Redis, solo):   {worker_rate:8.0f} /s")
        print(f"  in-process, one event at a time:    {single_rate:8.0f} /s")
        print(f"  in-process, batches of {BATCH}:         {local_rate:8.0f} /s")
        print("  every worker round applied every event, each enrollment at its last progress")
        print(
            "one worker / floor: "
            + ", ".join(f"{w / f:.2f}" for w, f in zip(worker_rates, floor_rates, strict=True))
            + f"; median {ratio:.2f} (target >= 0.25)"
        )
        print(f"in-process one at a time / floor: {single_rate / floor_rate:.2f}")
        result(
            "webhook_apply",
            "one worker / bare updates",
            ratio,
            target=0.25,
            lower_is_better=False,
            raw=f"{worker_rate:.0f} / {floor_rate:.0f} events/s",
        )
    finally:
        if worker is not None:
            worker.stop()
        bench.flush_broker()
        bench.drop_database()


if __name__ == "__main__":
    main()
