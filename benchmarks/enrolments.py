"""Benchmark: 1,000 enrolments of new students against a slow, flaky partner.

The system as it runs when scaled (the fault drills' processes, tests/faults/conftest.py):
gunicorn serving the API, a second gunicorn serving the partner simulator (the partner's
servers), one Celery worker with 8 slots (prefork unless --pool says otherwise) and beat
(the reconcile job every minute), a Redis of its own as broker and cache, a throwaway
PostgreSQL database. The simulator answers NDS 100 ms after each request and answers 5 %
of calls 503 (its fault injection, partners/simulator/faults.py). Each new student needs
two partner calls (the account, then the enrolment), so the ideal is
2 x 1,000 x 0.1 s / 8 slots = 25 s: the partner's latency alone, every slot always
waiting on the partner, no failure costing anything.

Measured warm, as the system runs in production: 32 enrolments through the API first,
untimed, once beat has started (process start-up, each web process's first POST loading
the task modules, the worker's first connections are not counted). Then two paths, each
timed from the first request until no enrollment is `requested`:

- api:    POST /api/v1/enrollments/ for each student (8 clients at once);
- cohort: the staff bulk path, `cohort_enroll` over a 1,000-student cohort (the admin's
          cohort enrolment), in this process, queuing provisioning to the same worker.

Printed, not asserted: each path's time over the ideal (target <= 1.5, goal 1.1), none
lost (every enrollment active), no duplicates at the simulator (one account per student,
one enrolment per enrollment), the calls and 503s the simulator answered, how long our
calls took and how long the simulator took by its own clock, the enrollments made and
provisioned in each 5 s, how busy the worker's slots were, and the CPU each process used
(PostgreSQL's and Redis's beside ours).

    .venv/bin/python benchmarks/enrolments.py [--students 1000] [--paths api,cohort]
                                              [--pool prefork|threads] [--repeat 1]

--repeat N runs each path N times, the paths in turns, and prints the median: on a shared
machine one run moves by a tenth or more either way.

Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres: a
test_ database is made beside it and dropped) and redis-server on PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import result  # noqa: E402

SLUG = "nds"
LATENCY_MS = 100
ERROR_RATE = 0.05
SLOTS = 8
CALLS_PER_ENROLMENT = 2  # the account, then the enrolment
WARM_UP = 4 * SLOTS  # untimed enrolments first, so every worker slot has run one
TARGET, GOAL = 1.5, 1.1
TASK_LINE = re.compile(r"Task enrollments\.tasks\.provision_\w+\[\S+\] succeeded in ([\d.]+)s")


def setup() -> str:
    workdir = Path(tempfile.mkdtemp(prefix="partnerhub-bench-"))
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["DATA_DIR"] = str(workdir)
    os.environ["PARTNER_LOG_WRITER"] = "buffered"
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("benchmarks/enrolments.py runs on PostgreSQL (DATABASE_URL)")
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    from django.core.management import call_command

    call_command("load_catalogue", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    return name


def publish_to(redis_url: str) -> None:
    """Tasks this process queues (cohort_enroll's provisioning) go to the drill's broker."""
    from django.conf import settings

    from config.celery import app

    app.loader.import_default_modules()
    app.conf.update(broker_url=redis_url, broker_transport=None, task_always_eager=False)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app._pool = None
    app.amqp._producer_pool = None


def make_students(prefix: str, count: int) -> list:
    from enrollments.models import Student

    return Student.objects.bulk_create(
        Student(
            external_ref=f"{prefix}-{i:05d}",
            first_name="Bench",
            last_name=f"{prefix}{i}",
            email=f"{prefix.lower()}-{i}@example.org",
        )
        for i in range(count)
    )


def wait_all_provisioned(students, seconds: float) -> float:
    """perf_counter() when every student has an enrollment and none is requested.

    Polled every 50 ms with one small query: the students were made by one bulk insert,
    so their ids are a range (a list of 1,000 ids in the query cost this process, on the
    cores it shares with the system measured, more CPU than the API requests it sent)."""
    from django.db.models import Count, Q

    from enrollments.models import Enrollment, EnrollmentStatus

    ids = sorted(s.pk for s in students)
    if ids[-1] - ids[0] + 1 != len(ids):
        raise SystemExit("the students' ids are not one range; wait_all_provisioned needs it")
    rows = Enrollment.objects.filter(student_id__gte=ids[0], student_id__lte=ids[-1])
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen = rows.aggregate(
            total=Count("pk"), waiting=Count("pk", filter=Q(status=EnrollmentStatus.REQUESTED))
        )
        if seen["total"] == len(ids) and not seen["waiting"]:
            return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"not all provisioned within {seconds:.0f} s")


def warm_up(drill, beat, course, token: str) -> None:
    """Untimed, before the first path: the system is measured warm, as it runs in
    production. Beat has started (its start-up used to overlap the first path's POSTs),
    each web process has loaded what its first POST needs (the task modules), and the
    worker's processes have made their first partner calls and database connections."""
    from tests.faults.conftest import wait_for

    wait_for("beat to start", lambda: "beat: Starting" in beat.output(), seconds=60)
    started = time.perf_counter()
    run_api(drill, course, make_students("WARM", WARM_UP), token, say=False)
    print(f"  warm-up: {WARM_UP} enrolments through the API, {time.perf_counter() - started:.1f} s")
    time.sleep(1)


def run_api(drill, course, students, token: str, *, say: bool = True) -> float:
    import json

    import urllib3

    # The organisation's system calling the API runs elsewhere in production; here it
    # shares the two cores, so it is kept light: urllib3's pool (what requests is built
    # on) without requests' per-call work, 8 connections kept open, 8 callers at once.
    http = urllib3.HTTPConnectionPool(
        "127.0.0.1", drill.web_port, maxsize=8, block=True, retries=False, timeout=60
    )
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def post(student) -> int:
        body = json.dumps({"student": student.pk, "course": course.pk})
        return http.request("POST", "/api/v1/enrollments/", body=body, headers=headers).status

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, students))
    posted = time.perf_counter() - started
    http.close()
    bad = [s for s in statuses if s != 201]
    if bad:
        raise SystemExit(f"{len(bad)} POSTs not answered 201: {sorted(set(bad))}")
    done = wait_all_provisioned(students, 600)
    if say:
        print(f"    {len(students)} POSTs answered 201 in {posted:.1f} s")
    return done - started


def run_cohort(course, students) -> float:
    from enrollments.models import Cohort
    from enrollments.services.cohorts import cohort_enroll

    name = f"Bench cohort {students[0].external_ref.split('-')[0]}"  # one per run
    cohort = Cohort.objects.create(name=name, partner=course.partner)
    cohort.students.set(students)
    started = time.perf_counter()
    results = cohort_enroll(cohort=cohort, course=course)
    created = time.perf_counter() - started
    errors = [r.error for r in results if r.error]
    if errors:
        raise SystemExit(f"{len(errors)} students not enrolled: {errors[:3]}")
    done = wait_all_provisioned(students, 600)
    print(f"    cohort_enroll created {len(results)} enrollments in {created:.1f} s")
    return done - started


def check(students, calls_before: list[int], drill) -> dict:
    """None lost, no duplicates at the simulator; the calls the simulator answered."""
    from django.db.models import Count

    from enrollments.models import Enrollment, EnrollmentStatus
    from partners.simulator.models import SimAccount, SimEnrollment

    ids = [s.pk for s in students]
    enrollments = Enrollment.objects.filter(student_id__in=ids)
    statuses = dict(enrollments.values_list("status").annotate(n=Count("pk")).order_by())
    emails = [s.email for s in students]
    accounts = dict(
        SimAccount.objects.filter(partner=SLUG, email__in=emails)
        .values_list("email")
        .annotate(n=Count("pk"))
        .order_by()
    )
    references = [str(pk) for pk in enrollments.values_list("pk", flat=True)]
    sim_enrolments = dict(
        SimEnrollment.objects.filter(partner=SLUG, reference__in=references)
        .values_list("reference")
        .annotate(n=Count("pk"))
        .order_by()
    )
    answered = drill.requests_answered("POST", f"/simulator/{SLUG}/")[len(calls_before) :]
    calls = [status for status, _ in answered]
    return {
        "active": statuses.get(EnrollmentStatus.ACTIVE, 0),
        "statuses": statuses,
        "lost": len(ids) - statuses.get(EnrollmentStatus.ACTIVE, 0),
        "accounts": len(accounts),
        "duplicate_accounts": sum(n - 1 for n in accounts.values()),
        "enrolments": len(sim_enrolments),
        "duplicate_enrolments": sum(n - 1 for n in sim_enrolments.values()),
        "calls": len(calls),
        "503s": sum(1 for s in calls if s == 503),
        "server_ms": 1000 * sum(seconds for _, seconds in answered) / max(len(answered), 1),
    }


def timeline(students, started_at, seconds: float, step: int = 5) -> str:
    """Enrollments made and enrollments provisioned in each `step` seconds from the
    start: where the run was slow (the worker sharing the cores with the API's POSTs,
    the last retries' backoff)."""
    from enrollments.models import Enrollment

    rows = Enrollment.objects.filter(student_id__in=[s.pk for s in students]).values_list(
        "requested_at", "submitted_at"
    )
    buckets = int(seconds // step) + 1
    made, done = [0] * buckets, [0] * buckets

    def bucket(moment) -> int:
        return min(buckets - 1, max(0, int((moment - started_at).total_seconds() // step)))

    for requested_at, submitted_at in rows:
        made[bucket(requested_at)] += 1
        if submitted_at is not None:
            done[bucket(submitted_at)] += 1
    return ", ".join(
        f"{i * step}-{(i + 1) * step} s {m} made/{d} provisioned"
        for i, (m, d) in enumerate(zip(made, done, strict=True))
    )


def call_durations(students) -> str:
    """How long our partner calls took, as the request logs recorded them (the partner's
    100 ms latency included): what the slots waited on the simulator."""
    from monitoring.models import PartnerRequestLog

    durations = sorted(
        PartnerRequestLog.objects.filter(
            enrollment__student_id__in=[s.pk for s in students]
        ).values_list("duration_ms", flat=True)
    )
    if not durations:
        return "no request logs"
    at = lambda q: durations[min(len(durations) - 1, int(q * len(durations)))]  # noqa: E731
    return (
        f"{len(durations)} partner calls logged: mean {sum(durations) / len(durations):.0f} ms, "
        f"median {at(0.5)} ms, 90th {at(0.9)} ms, max {durations[-1]} ms"
    )


def cpu_seconds(process) -> float:
    """CPU time (user + system) used so far by a drill process's whole group (a
    gunicorn's or a prefork worker's children included), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == process.popen.pid:  # the process group
            total += int(fields[11]) + int(fields[12])
    return total / tick


def postgres_cpu_seconds() -> float:
    """CPU time used so far by the PostgreSQL server's processes (every backend: the
    machine's server, so other users' queries count too), from /proc: the live ones'
    own, and the server's count of the backends that have exited."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        if name.startswith("postgres"):
            fields = text.rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def busy_seconds(worker) -> float:
    return sum(float(m) for m in TASK_LINE.findall(worker.output()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--paths", default="api,cohort")
    parser.add_argument("--pool", default="prefork", help="the worker's pool: prefork, threads")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each path (in turns); the median counts"
    )
    args = parser.parse_args()

    name = setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from partners.models import PartnerCourse
    from partners.simulator.faults import set_faults
    from tests.faults.conftest import Drill, free_port

    drill = Drill(Path(tempfile.mkdtemp(prefix="partnerhub-bench-drill-")))
    failures = []
    try:
        course = PartnerCourse.objects.filter(partner__slug=SLUG, needs_voucher=False).first()
        set_faults(SLUG, latency_ms=LATENCY_MS, error_rate=ERROR_RATE)
        # The partner on servers of its own, as in production: the simulator is served by
        # a second gunicorn, which the worker calls, so the API's requests and the
        # partner's answers do not queue for the same threads.
        partner_port = free_port()
        worker_env = {
            "PARTNER_LOG_WRITER": "buffered",
            "SITE_URL": f"http://127.0.0.1:{partner_port}",
        }
        web = drill.web(workers=2, threads=8, PARTNER_LOG_WRITER="buffered")
        partner = drill.web(workers=2, threads=8, port=partner_port, **worker_env)
        worker = drill.worker(concurrency=SLOTS, pool=args.pool, **worker_env)
        beat = drill.beat(**worker_env)  # the reconcile job every minute, as in production
        publish_to(drill.redis.url(0))
        user = User.objects.create_user("bench-api", is_staff=True, is_superuser=True)
        token = Token.objects.create(user=user).key
        ideal = args.students * CALLS_PER_ENROLMENT * LATENCY_MS / 1000 / SLOTS
        print(
            f"{args.students} new students, {SLUG} simulator at {LATENCY_MS} ms and "
            f"{ERROR_RATE:.0%} 503s, {SLOTS} worker slots; ideal "
            f"{args.students} x {CALLS_PER_ENROLMENT} x {LATENCY_MS / 1000:g} s / {SLOTS} "
            f"= {ideal:.1f} s ({connection.vendor})"
        )

        def run_once(path: str, prefix: str, label: str) -> tuple[float, bool]:
            """One path's enrolments of new students: its time, and whether none was lost
            and nothing duplicated; prints what it saw."""
            students = make_students(prefix, args.students)
            calls_before = drill.requests_seen("POST", f"/simulator/{SLUG}/")
            busy_before = busy_seconds(worker)
            cpu_before = (
                cpu_seconds(web),
                cpu_seconds(partner),
                cpu_seconds(worker),
                time.process_time(),
            )
            services_before = (postgres_cpu_seconds(), cpu_seconds(drill.redis.process))
            print(f"  {label}:")
            started_at = timezone.now()
            if path == "api":
                seconds = run_api(drill, course, students, token)
            elif path == "cohort":
                seconds = run_cohort(course, students)
            else:
                raise SystemExit(f"unknown path {path!r}")
            # The worker's last log lines, and its last request logs (written in batches at
            # most PARTNER_LOG_FLUSH_SECONDS late).
            time.sleep(1.5)
            seen = check(students, calls_before, drill)
            busy = busy_seconds(worker) - busy_before
            web_cpu, partner_cpu, worker_cpu, own_cpu = (
                after - before
                for after, before in zip(
                    (
                        cpu_seconds(web),
                        cpu_seconds(partner),
                        cpu_seconds(worker),
                        time.process_time(),
                    ),
                    cpu_before,
                    strict=True,
                )
            )
            print(
                f"    {seconds:.1f} s; {seen['active']} active, {seen['lost']} lost "
                f"(statuses {seen['statuses']}); at the simulator {seen['accounts']} accounts "
                f"({seen['duplicate_accounts']} duplicates), {seen['enrolments']} enrolments "
                f"({seen['duplicate_enrolments']} duplicates), {seen['calls']} calls of which "
                f"{seen['503s']} answered 503"
            )
            print(
                f"    {call_durations(students)}; the simulator took {seen['server_ms']:.0f} ms "
                "a call on average by its own clock"
            )
            print(f"    per 5 s: {timeline(students, started_at, seconds)}")
            print(
                f"    worker slots busy {busy:.1f} s of {SLOTS} x {seconds:.1f} s "
                f"= {busy / (SLOTS * seconds):.0%}"
            )
            postgres_cpu, redis_cpu = (
                after - before
                for after, before in zip(
                    (postgres_cpu_seconds(), cpu_seconds(drill.redis.process)),
                    services_before,
                    strict=True,
                )
            )
            cpu = web_cpu + partner_cpu + worker_cpu + own_cpu
            print(
                f"    CPU {cpu:.1f} s ({cpu / args.students * 1000:.0f} ms per enrolment): "
                f"gunicorn serving the API {web_cpu:.1f} s, worker {worker_cpu:.1f} s, "
                f"this process {own_cpu:.1f} s, the simulator (the partner's) {partner_cpu:.1f} s; "
                f"besides, PostgreSQL {postgres_cpu:.1f} s and Redis {redis_cpu:.1f} s; "
                f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
            )
            correct = not seen["lost"] and not (
                seen["duplicate_accounts"] or seen["duplicate_enrolments"]
            )
            return seconds, correct

        warm_up(drill, beat, course, token)
        paths = args.paths.split(",")
        runs: dict[str, list[tuple[float, bool]]] = {path: [] for path in paths}
        # Round by round, the paths in turn: the machine's drift falls on each alike.
        for n in range(1, args.repeat + 1):
            for path in paths:
                label = f"{path} (run {n} of {args.repeat})" if args.repeat > 1 else path
                runs[path].append(run_once(path, f"{path.upper()}{n}", label))
        for path in paths:
            times = [seconds for seconds, _ in runs[path]]
            seconds = statistics.median(times)
            raw = f"{seconds:.1f} s / {ideal:.1f} s"
            if len(times) > 1:
                raw += f"; median of {len(times)} runs: " + ", ".join(
                    f"{t / ideal:.2f}" for t in times
                )
            ok = result(
                f"enrolments.{path}",
                "time / ideal",
                seconds / ideal,
                target=TARGET,
                goal=GOAL,
                lower_is_better=True,
                raw=raw,
                correct=all(correct for _, correct in runs[path]),
            )
            if not ok:
                failures.append(path)
    finally:
        drill.stop_all()
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)
        shutil.rmtree(drill.tmp, ignore_errors=True)  # the processes' logs


if __name__ == "__main__":
    main()
