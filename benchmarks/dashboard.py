"""Benchmark: the monitoring dashboard and the request-log changelist at scale.

Builds a throwaway database with 1,000,000 partner request logs (spread over 30 days)
and 100,000 enrollments, then renders the dashboard and the changelist (unfiltered and
with each filter) through the Django test client, printing the time and number of
queries of each. Printed, not asserted: the target is under 1 s per page and a query
count that does not grow with the data.

    .venv/bin/python benchmarks/dashboard.py                      # SQLite in a temp folder
    .venv/bin/python benchmarks/dashboard.py --logs 200000        # smaller
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/dashboard.py                  # a test_ database beside it
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAYS = 30
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


def build(logs: int, enrollments: int) -> None:
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
                external_ref=f"B-{i:07d}",
                first_name="Bench",
                last_name=f"Student{i}",
                email=f"bench{i}@example.org",
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
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {PartnerRequestLog._meta.db_table}")
        else:
            cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    print(f"  {PartnerRequestLog.objects.count():,} request logs in {seconds:.1f} s")


def measure(client, label: str, url: str, runs: int = 3, cold: bool = False) -> None:
    """`cold`: empty the cache before each run, so nothing the dashboard keeps (ended
    time buckets, revenue) helps."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(runs):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    slowest_ms = max(float(q["time"]) for q in queries.captured_queries) * 1000
    print(
        f"  {label:<38} first {times[0] * 1000:6.0f} ms  best {min(times) * 1000:6.0f} ms  "
        f"{len(queries.captured_queries):3d} queries  slowest {slowest_ms:4.0f} ms"
    )
    if os.environ.get("BENCH_SHOW_QUERIES"):
        for q in queries.captured_queries:
            print(f"      {float(q['time']) * 1000:6.0f} ms  {q['sql'][:300]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logs", type=int, default=1_000_000)
    parser.add_argument("--enrollments", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="partnerhub-bench-"))
    os.environ.setdefault("DEBUG", "true")
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
        build(args.logs, args.enrollments)
        client = Client()
        client.force_login(User.objects.create_superuser("bench", "bench@example.org", "x"))
        from monitoring.models import PartnerRequestLog

        sample = PartnerRequestLog.objects.order_by("-pk").values("correlation_id")[0]
        client.get("/admin/")  # load templates and code once, outside the figures
        print("Pages (3 runs each):")
        dashboard = "/admin/monitoring/dashboard/"
        measure(client, "dashboard, empty cache", dashboard, cold=True)
        measure(
            client, "dashboard, one partner, empty cache", f"{dashboard}?partner=hsi", cold=True
        )
        measure(client, "dashboard (ended buckets cached)", dashboard)
        measure(client, "dashboard, one partner (cached)", f"{dashboard}?partner=hsi")
        logs = "/admin/monitoring/partnerrequestlog/"
        measure(client, "request logs", logs)
        measure(client, "request logs, last hour", f"{logs}?since=1h")
        measure(client, "request logs, 5xx", f"{logs}?status=5xx")
        measure(
            client,
            "request logs, partner + operation",
            f"{logs}?partner__id__exact=2&operation=enroll",
        )
        measure(
            client, "request logs, search correlation id", f"{logs}?q={sample['correlation_id']}"
        )
        measure(client, "request logs, search enrollment id", f"{logs}?q=4242")
        measure(client, "request logs, page 50", f"{logs}?p=50")
    finally:
        if args.keep:
            print(f"Kept {name}")
        else:
            connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
