"""Benchmark: a 5,000-row CareerSafe gradebook imported for 5,000 enrollments, the
preview and the apply timed separately.

On a throwaway database (SQLite in a temp folder unless DATABASE_URL says otherwise) with
the catalogue: ROWS students enrolled in OSHA 10 General Industry (half submitted by a
roster export, half active), each with a CareerSafe account, and a gradebook CSV naming
them the ways real ones do (60 % by member id, 30 % by e-mail only, 10 % by name only)
with the statuses mixed (40 % Passed, 20 % Completed, 30 % In Progress, 5 % Lapsed,
5 % Not Started). The preview reads, matches and judges every row; the apply turns the
matched ones into IMPORT events through enrollment_apply_event, completion e-mails
included (to an in-memory mailbox). Then the same file is previewed again (every row
unchanged). Printed, not asserted: the target is preview + apply under 30 s.

    .venv/bin/python benchmarks/result_import.py [--rows 5000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_imports \\
        .venv/bin/python benchmarks/result_import.py
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import time

from _django import setup_django

TARGET_SECONDS = 30.0
STATUSES = ["Passed"] * 8 + ["Completed"] * 4 + ["In Progress"] * 6 + ["Lapsed", "Not Started"]


def build(rows: int) -> bytes:
    """The students, accounts and enrollments, and the gradebook that reports on them."""
    from enrollments.models import Enrollment, EnrollmentStatus, PartnerAccount, Student
    from partners.models import PartnerCourse

    course = PartnerCourse.objects.get(partner__slug="careersafe", code="OSHA10-GI")
    students = Student.objects.bulk_create(
        [
            Student(
                external_ref=f"B-{n:05d}",
                first_name=f"First{n}",
                last_name=f"Last{n}",
                email=f"learner{n}@bench.example.org",
            )
            for n in range(rows)
        ],
        batch_size=1000,
    )
    students = list(Student.objects.order_by("pk"))  # ids on every database
    PartnerAccount.objects.bulk_create(
        [
            PartnerAccount(student=s, partner=course.partner, external_id=f"CS-M-{n:06d}")
            for n, s in enumerate(students)
        ],
        batch_size=1000,
    )
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                student=s,
                course=course,
                partner=course.partner,
                status=EnrollmentStatus.SUBMITTED if n % 2 else EnrollmentStatus.ACTIVE,
            )
            for n, s in enumerate(students)
        ],
        batch_size=1000,
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["Member ID", "Student Name", "Email", "Group Code", "Course", "Course Status",
         "Status Date", "Progress", "Last Visited", "Average Grade"]
    )  # fmt: skip
    for n, s in enumerate(students):
        status = STATUSES[n % len(STATUSES)]
        rule = n % 10
        member = f"CS-M-{n:06d}" if rule < 6 else ""
        email = s.email if rule < 9 else ""
        dated = status in ("Passed", "Completed", "Lapsed")
        writer.writerow(
            [
                member,
                f"{s.last_name}, {s.first_name}",
                email,
                "CS-BENCH",
                "OSHA 10-Hour General Industry",
                status,
                f"{(n % 9) + 1:02d}/{(n % 27) + 1:02d}/2026" if dated else "",
                "100%" if status in ("Passed", "Completed") else f"{n % 100}%",
                "11/20/2026",
                str(70 + n % 30) if status != "Not Started" else "",
            ]
        )
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("EMAIL_URL", "memorymail://")
    setup_django()
    from django.core import mail
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from enrollments.models import Enrollment, EnrollmentStatus
    from enrollments.services.result_imports import result_import_apply, result_import_preview
    from partners.models import Partner

    mail.outbox = []
    content = build(args.rows)
    partner = Partner.objects.get(slug="careersafe")

    def preview():
        return result_import_preview(
            partner=partner,
            file=SimpleUploadedFile("gradebook.csv", content),
            imported_by_id=None,
        )

    def timed(work):
        """(result, wall seconds, CPU seconds of this process): the CPU figure shows what
        the work costs when other processes share the machine's cores."""
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        return result, time.perf_counter() - wall, time.process_time() - cpu

    record, preview_s, preview_cpu = timed(preview)
    record, apply_s, apply_cpu = timed(lambda: result_import_apply(record, applied_by_id=None))
    again, again_s, again_cpu = timed(preview)

    completed = Enrollment.objects.filter(status=EnrollmentStatus.COMPLETED).count()
    total = preview_s + apply_s
    print(f"database: {connection.vendor}; rows: {args.rows}")
    print(f"preview:        {preview_s:7.2f} s  (CPU {preview_cpu:.2f} s)")
    print(f"apply:          {apply_s:7.2f} s  (CPU {apply_cpu:.2f} s; {record.counts})")
    print(f"preview again:  {again_s:7.2f} s  (CPU {again_cpu:.2f} s; {again.counts})")
    print(f"completed: {completed}; e-mails sent: {len(mail.outbox)}")
    print(
        f"preview + apply: {total:.2f} s (CPU {preview_cpu + apply_cpu:.2f} s); target "
        f"{TARGET_SECONDS:.0f} s; ratio {total / TARGET_SECONDS:.2f} (under 1.00 meets it)"
    )


if __name__ == "__main__":
    main()
