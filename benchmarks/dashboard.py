"""Benchmark: the monitoring dashboard and the request-log changelist at scale.

Builds a throwaway PostgreSQL database with 1,000,000 partner request logs (spread over
30 days; the hourly counts the recorder keeps for them counted once) and 100,000
enrollments, then renders the dashboard and the request-log changelist (unfiltered and
with each filter) through the Django test client, cold: the cache emptied and a new
database connection before each render. Printed, not asserted: the target is under
300 ms per page, and query counts equal to those of the same pages at 1,000 logs.

    .venv/bin/python benchmarks/dashboard.py                      # PostgreSQL, test_ db
    .venv/bin/python benchmarks/dashboard.py --logs 200000        # smaller
    DATABASE_URL=sqlite:////tmp/x.sqlite3 .venv/bin/python benchmarks/dashboard.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import result  # noqa: E402

DAYS = 30
SMALL_LOGS, SMALL_ENROLLMENTS = 1000, 100
# 1 in 20 attempts a server error, 1 in 50 no answer, 1 in 25 a client error.
OUTCOME_SQL = """
    CASE WHEN n % 20 = 0 THEN 'server_error' WHEN n % 50 = 1 THEN 'transport_error'
         WHEN n % 25 = 2 THEN 'client_error' ELSE 'success' END"""


def generate_logs_sql(vendor: str, table: str, count: int, partner_ids: list[int]) -> str:
    """One INSERT ... SELECT that makes `count` rows inside the database."""
    ops = "CASE n % 4 WHEN 0 THEN 'enroll' WHEN 1 THEN 'get_progress' WHEN 2 THEN 'create_account' ELSE 'get_certificate' END"  # noqa: E501
    partner = "CASE n % {k} {whens} END".format(
        k=len(partner_ids),
        whens=" ".join(f"WHEN {i} THEN {pk}" for i, pk in enumerate(partner_ids)),
    )
    outcome = OUTCOME_SQL
    status = (
        "CASE WHEN n % 20 = 0 THEN 503 WHEN n % 50 = 1 THEN NULL "
        "WHEN n % 25 = 2 THEN 404 ELSE 200 END"
    )
    seconds_ago = f"(n * {DAYS * 86400} / {count})"
    columns = (
        "created_at, partner_id, operation, method, url, status_code, outcome, duration_ms, "
        "attempt, error_class, error_message, correlation_id, enrollment_id, request_headers, "
        "request_body, response_headers, response_body"
    )
    body = """'{"student": {"external_ref": "S-' || n || '", "email": "[redacted]"}}'"""
    if vendor == "sqlite":
        return f"""
            WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count})
            INSERT INTO {table} ({columns})
            SELECT strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || {seconds_ago} || ' seconds'),
                   {partner}, {ops}, 'POST', 'https://partner.example/api/x', {status},
                   {outcome}, abs(random()) % 1500 + 40, 1, '', '', lower(hex(randomblob(16))),
                   CASE WHEN n % 10 = 0 THEN n / 10 ELSE NULL END, '{{}}', {body}, '{{}}',
                   '{{"id": "E-' || n || '"}}'
            FROM seq
        """
    return f"""
        INSERT INTO {table} ({columns})
        SELECT now() - make_interval(secs => (n::bigint * {DAYS * 86400} / {count})),
               {partner}, {ops}, 'POST', 'https://partner.example/api/x', {status},
               {outcome}, (random() * 1500)::int + 40, 1, '', '', md5(n::text),
               CASE WHEN n % 10 = 0 THEN n / 10 ELSE NULL END, '{{}}', {body}, '{{}}',
               '{{"id": "E-' || n || '"}}'
        FROM generate_series(1, {count}) AS n
    """


def build(logs: int, enrollments: int, prefix: str = "B") -> None:
    from django.core.management import call_command
    from django.db import connection

    from enrollments.models import Enrollment, EnrollmentStatus, Student
    from monitoring.models import PartnerRequestLog
    from partners.models import Partner, PartnerCourse

    started = time.perf_counter()
    call_command("load_catalogue", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    courses = list(PartnerCourse.objects.values_list("pk", "partner_id"))
    per_student = min(4, len(courses))
    students = Student.objects.bulk_create(
        (
            Student(
                external_ref=f"{prefix}-{i:07d}",
                first_name="Bench",
                last_name=f"Student{i}",
                email=f"bench-{prefix}{i}@example.org",
            )
            for i in range(enrollments // per_student + 1)
        ),
        batch_size=5000,
    )
    statuses = [
        EnrollmentStatus.REQUESTED,
        EnrollmentStatus.SUBMITTED,
        EnrollmentStatus.ACTIVE,
        EnrollmentStatus.ACTIVE,
        EnrollmentStatus.COMPLETED,
        EnrollmentStatus.COMPLETED,
        EnrollmentStatus.COMPLETED,
        EnrollmentStatus.FAILED,
        EnrollmentStatus.CANCELLED,
    ]

    def rows():
        for i in range(enrollments):
            student = students[i // per_student]
            course_id, partner_id = courses[(i + i // per_student) % len(courses)]
            status = statuses[i % len(statuses)]
            yield Enrollment(
                student=student,
                course_id=course_id,
                partner_id=partner_id,
                status=status,
                progress_percent=100 if status == EnrollmentStatus.COMPLETED else 0,
            )

    Enrollment.objects.bulk_create(rows(), batch_size=5000)
    print(f"  {enrollments:,} enrollments in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    partner_ids = list(Partner.objects.order_by("pk").values_list("pk", flat=True))
    sql = generate_logs_sql(connection.vendor, PartnerRequestLog._meta.db_table, logs, partner_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql)  # no parameters: the % signs go through as they are
    # The hourly counts the recorder keeps as it writes logs, counted once for the logs
    # made above (the migration's backfill does the same for a database with logs).
    from importlib import import_module

    from django.apps import apps

    from monitoring.models import PartnerCallHour

    backfill = import_module("monitoring.migrations.0003_partner_call_hour")
    PartnerCallHour.objects.all().delete()
    backfill.count_existing_logs(apps, None)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {PartnerRequestLog._meta.db_table}")
        else:
            cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    print(f"  {PartnerRequestLog.objects.count():,} request logs in {seconds:.1f} s")


def measure(client, url: str, runs: int = 5) -> tuple[float, int, float]:
    """Median time (s), queries and slowest query (ms) of `runs` cold renders: before
    each, the cache is emptied (nothing the pages keep helps) and the database
    connection closed (a new one is opened, as for a new worker)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(runs):
        cache.clear()
        connection.close()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    slowest_ms = max((float(q["time"]) for q in queries.captured_queries), default=0) * 1000
    if os.environ.get("BENCH_SHOW_QUERIES"):
        for q in queries.captured_queries:
            print(f"      {float(q['time']) * 1000:6.0f} ms  {q['sql'][:300]}")
    return statistics.median(times), len(queries.captured_queries), slowest_ms


def pages(sample_correlation_id: str) -> list[tuple[str, str, str]]:
    """(group, label, URL) of every page measured."""
    dashboard = "/admin/monitoring/dashboard/"
    logs = "/admin/monitoring/partnerrequestlog/"
    return [
        ("dashboard", "dashboard", dashboard),
        ("dashboard", "dashboard, one partner", f"{dashboard}?partner=hsi"),
        ("changelist", "request logs", logs),
        ("changelist", "request logs, last hour", f"{logs}?since=1h"),
        ("changelist", "request logs, 5xx", f"{logs}?status=5xx"),
        (
            "changelist",
            "request logs, partner + operation",
            f"{logs}?partner__id__exact=2&operation=enroll",
        ),
        ("changelist", "request logs, search correlation id", f"{logs}?q={sample_correlation_id}"),
        ("changelist", "request logs, search enrollment id", f"{logs}?q=4242"),
        ("changelist", "request logs, page 5", f"{logs}?p=5"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logs", type=int, default=1_000_000)
    parser.add_argument("--enrollments", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="partnerhub-bench-"))
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    os.environ["DATA_DIR"] = str(workdir)
    os.environ["PARTNER_SIMULATOR"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(workdir / "bench.sqlite3")
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    print(f"Throwaway {connection.vendor} database: {name}")
    try:
        client = Client()
        client.force_login(User.objects.create_superuser("bench", "bench@example.org", "x"))
        from monitoring.models import PartnerRequestLog

        # The same pages at a small size first: their query counts must not change.
        build(SMALL_LOGS, SMALL_ENROLLMENTS, prefix="S")
        client.get("/admin/")  # load templates and code once, outside the figures
        sample = PartnerRequestLog.objects.order_by("-pk").values("correlation_id")[0]
        small = {
            label: measure(client, url, runs=1)[1]
            for _, label, url in pages(sample["correlation_id"])
        }
        build(args.logs - SMALL_LOGS, args.enrollments - SMALL_ENROLLMENTS)
        sample = PartnerRequestLog.objects.order_by("-pk").values("correlation_id")[0]
        print("Pages, cold (empty cache, new connection), median of 5:")
        worst = {"dashboard": 0.0, "changelist": 0.0}
        constant = {"dashboard": True, "changelist": True}
        for group, label, url in pages(sample["correlation_id"]):
            seconds, queries, slowest_ms = measure(client, url)
            worst[group] = max(worst[group], seconds)
            constant[group] &= queries == small[label]
            print(
                f"  {label:<38} {seconds * 1000:6.0f} ms  {queries:3d} queries "
                f"({small[label]} at {SMALL_LOGS:,} logs)  slowest query {slowest_ms:4.0f} ms"
            )
        for group, what in (("dashboard", "dashboard"), ("changelist", "request-log changelist")):
            result(
                f"dashboard.{group}_cold_ms",
                f"slowest {what} page, cold (ms)",
                worst[group] * 1000,
                target=300,
                lower_is_better=True,
                raw=f"{args.logs:,} logs, {args.enrollments:,} enrollments, {connection.vendor}; "
                + ("query counts as at the small size" if constant[group] else "QUERY COUNTS GREW"),
                correct=constant[group],
            )
    finally:
        if args.keep:
            print(f"Kept {name}")
        else:
            connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
