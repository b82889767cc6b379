"""Roster export (enrollments/services/rosters.py) and the partners' layouts
(partners/rosters.py, partners/<slug>/roster.py)."""

import csv
import io
import threading
import time
from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from openpyxl import load_workbook

from enrollments.models import (
    EmailKind,
    Enrollment,
    EnrollmentStatus,
    RosterExport,
    StudentEmail,
    Voucher,
    VoucherStatus,
)
from enrollments.selectors import enrollments_to_export
from enrollments.services.rosters import (
    RosterExportError,
    RosterNothingToExport,
    roster_export,
)
from partners.models import Partner
from partners.registry import PARTNER_SLUGS
from partners.rosters import GENERIC, RosterRow, roster_layout, spreadsheet_text
from tests.factories import make_cohort, make_course, make_enrollment, make_student


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def careersafe(db, monkeypatch):
    monkeypatch.setenv("CAREERSAFE_MODE", "roster")
    return Partner.objects.create(slug="careersafe", name="CareerSafe", mode="roster")


def read_csv(batch: RosterExport) -> list[list[str]]:
    with batch.file.open("rb") as f:
        return list(csv.reader(io.StringIO(f.read().decode("utf-8-sig"))))


def test_requested_enrollments_go_out_in_the_partners_layout_and_become_submitted(
    careersafe, django_capture_on_commit_callbacks
):
    course = make_course(careersafe, code="OSHA10-GI", title="OSHA 10 General Industry")
    cohort = make_cohort(name="Spring", partner=careersafe, group_code="GRP-0042")
    student = make_student(first_name="Ana", last_name="Lopez", email="ana@example.org")
    requested_at = timezone.make_aware(datetime(2025, 3, 7, 12, 0))
    first = make_enrollment(
        student=student, course=course, cohort=cohort, requested_at=requested_at
    )
    second = make_enrollment(course=course)
    user = User.objects.create_user("coordinator")

    with django_capture_on_commit_callbacks(execute=True):
        batch = roster_export(partner=careersafe, exported_by_id=user.pk)

    assert (batch.row_count, batch.exported_by, batch.format) == (2, user, "csv")
    assert set(batch.enrollments.all()) == {first, second}
    rows = read_csv(batch)
    assert rows[0] == [
        "Group Code",
        "Last Name",
        "First Name",
        "Email",
        "Student ID",
        "Course",
        "Course Name",
        "Date Requested",
    ]
    assert rows[1] == [
        "GRP-0042",
        "Lopez",
        "Ana",
        "ana@example.org",
        student.external_ref,
        "OSHA10-GI",
        "OSHA 10 General Industry",
        "03/07/2025",
    ]
    assert rows[2][0] == ""  # no cohort, no group code
    for enrollment in (first, second):
        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.SUBMITTED
        assert enrollment.submitted_at is not None
    # Reaching the partner has the same effect on every path: the e-mail, once.
    assert StudentEmail.objects.filter(kind=EmailKind.ENROLLMENT_ACTIVE).count() == 2
    assert batch.file.name.startswith("rosters/") and "careersafe-roster-" in batch.file.name


def test_only_the_partners_requested_enrollments_of_the_cohort_are_taken(careersafe):
    course = make_course(careersafe)
    cohort = make_cohort(partner=careersafe, group_code="G1")
    mine = make_enrollment(course=course, cohort=cohort)
    make_enrollment(course=course)  # not in the cohort
    for status in (
        EnrollmentStatus.SUBMITTED,
        EnrollmentStatus.ACTIVE,
        EnrollmentStatus.CANCELLED,
        EnrollmentStatus.FAILED,
        EnrollmentStatus.COMPLETED,
    ):
        make_enrollment(
            course=course,
            cohort=cohort,
            status=status,
            progress_percent=100 if status == EnrollmentStatus.COMPLETED else 0,
        )
    other = Partner.objects.create(slug="certiport", name="Certiport")
    make_enrollment(course=make_course(other))

    batch = roster_export(partner=careersafe, cohort=cohort)

    assert list(batch.enrollments.all()) == [mine]
    assert batch.cohort == cohort and batch.row_count == 1
    assert len(read_csv(batch)) == 2


def test_a_second_export_finds_nothing_and_keeps_no_empty_batch(careersafe, media):
    make_enrollment(course=make_course(careersafe))
    roster_export(partner=careersafe)
    files = sorted(p.name for p in media.rglob("*") if p.is_file())

    with pytest.raises(RosterNothingToExport, match="download an earlier batch"):
        roster_export(partner=careersafe)

    assert RosterExport.objects.count() == 1
    assert sorted(p.name for p in media.rglob("*") if p.is_file()) == files


@pytest.mark.parametrize("mode", ["api", "manual"])
def test_a_partner_not_in_roster_mode_is_refused(careersafe, monkeypatch, mode):
    monkeypatch.setenv("CAREERSAFE_MODE", mode)
    enrollment = make_enrollment(course=make_course(careersafe))

    with pytest.raises(RosterExportError, match=f"in {mode} mode"):
        roster_export(partner=careersafe)

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED
    assert not RosterExport.objects.exists()


def test_a_cohort_of_another_partner_and_an_unknown_format_are_refused(careersafe):
    make_enrollment(course=make_course(careersafe))
    other = Partner.objects.create(slug="nrf", name="NRF")
    with pytest.raises(RosterExportError, match="belongs to NRF"):
        roster_export(partner=careersafe, cohort=make_cohort(partner=other))
    with pytest.raises(RosterExportError, match="not a roster format"):
        roster_export(partner=careersafe, format="pdf")
    assert not RosterExport.objects.exists()


def test_xlsx_cells_are_text_and_names_never_become_formulas(db, monkeypatch):
    monkeypatch.setenv("JRI_MODE", "roster")
    jri = Partner.objects.create(slug="jri", name="JRI")
    student = make_student(first_name="=HYPERLINK(1)", last_name="O'Neil", phone="+1 317 555 0100")
    make_enrollment(student=student, course=make_course(jri, code="00123"))

    batch = roster_export(partner=jri, format="xlsx")

    assert batch.file.name.endswith(".xlsx") and "-generic-" in batch.file.name
    with batch.file.open("rb") as f:
        sheet = load_workbook(f).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == GENERIC.headers
    cells = dict(zip(rows[0], rows[1], strict=True))
    # A text cell is never a formula in XLSX, so the name is kept exactly.
    assert cells["First Name"] == "=HYPERLINK(1)"
    assert cells["Phone"] == "+1 317 555 0100"
    assert cells["Course Code"] == "00123"  # text: the zeros stay
    assert all(c.data_type == "s" for c in sheet[2] if c.value is not None)
    # In CSV nothing says "text", so the name that would start a formula is quoted.
    jri_student = make_student(first_name="=HYPERLINK(2)")
    make_enrollment(student=jri_student, course=make_course(jri))
    rows = read_csv(roster_export(partner=jri))
    assert dict(zip(rows[0], rows[1], strict=True))["First Name"] == "'=HYPERLINK(2)"


def test_the_voucher_taken_at_enrolment_is_in_the_certiport_roster(db, monkeypatch):
    monkeypatch.setenv("CERTIPORT_MODE", "roster")
    certiport = Partner.objects.create(slug="certiport", name="Certiport")
    course = make_course(certiport, code="MO-200", title="Excel Associate")
    cohort = make_cohort(partner=certiport, group_code="EXAM-GRP-7")
    enrollment = make_enrollment(course=course, cohort=cohort)
    Voucher.objects.create(
        partner=certiport,
        code="CP-VOUCH-1",
        cost=100,
        enrollment=enrollment,
        status=VoucherStatus.ASSIGNED,
        assigned_at=timezone.now(),
    )

    rows = read_csv(roster_export(partner=certiport))

    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["Exam Group"] == "EXAM-GRP-7"
    assert cells["Voucher Code"] == "CP-VOUCH-1"
    assert cells["Exam Code"] == "MO-200"


def test_a_failure_after_the_file_is_written_keeps_nothing(careersafe, monkeypatch, media):
    enrollment = make_enrollment(course=make_course(careersafe))

    def broken(*args, **kwargs):
        raise RuntimeError("mail queue down")

    monkeypatch.setattr("enrollments.services.rosters.enrollment_status_changed", broken)
    with pytest.raises(RuntimeError):
        roster_export(partner=careersafe)

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED
    assert not RosterExport.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_the_selector_lists_requested_enrollments_oldest_first(careersafe):
    course = make_course(careersafe)
    newer = make_enrollment(course=course)
    older = make_enrollment(course=course, requested_at=timezone.now().replace(year=2020))
    make_enrollment(course=course, status=EnrollmentStatus.SUBMITTED)
    assert list(enrollments_to_export(partner=careersafe)) == [older, newer]


@pytest.mark.parametrize("slug", list(PARTNER_SLUGS))
def test_every_partner_has_a_layout_and_the_unknown_ones_are_labelled_generic(slug):
    layout = roster_layout(slug)
    assert layout.columns and len(set(layout.headers)) == len(layout.headers)
    assert layout.generic == (slug in ("hsi", "jri", "nds"))
    row = RosterRow(
        enrollment_id=1,
        student_ref="S-1",
        first_name="A",
        last_name="B",
        email="a@example.org",
        phone="",
        course_code="C",
        course_title="Course",
        requested_at=timezone.now(),
    )
    assert len(layout.cells(row)) == len(layout.headers)
    # Every layout names the student so the results that come back can be matched.
    assert {"Student ID", "Email"} <= set(layout.headers)


def test_a_partner_without_a_registry_entry_gets_the_generic_layout():
    assert roster_layout("gone") is GENERIC


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-42", "-42"),
        ("(317) 555-0100", "(317) 555-0100"),
        ("+cmd|x", "'+cmd|x"),
    ],
)
def test_spreadsheet_text(value, safe):
    assert spreadsheet_text(value) == safe


def _export_in_thread(partner, results, errors, **kwargs):
    try:
        results.append(roster_export(partner=partner, **kwargs).pk)
    except RosterNothingToExport as exc:
        errors.append(exc)
    finally:
        connection.close()


def test_two_concurrent_exports_never_put_one_enrollment_in_two_batches(postgres, monkeypatch):
    monkeypatch.setenv("CAREERSAFE_MODE", "roster")
    careersafe = Partner.objects.create(slug="careersafe", name="CareerSafe", mode="roster")
    course = make_course(careersafe)
    cohort = make_cohort(partner=careersafe)
    enrollments = [make_enrollment(course=course, cohort=cohort) for _ in range(30)]
    results, errors = [], []
    threads = [
        threading.Thread(
            target=_export_in_thread,
            args=(careersafe, results, errors),
            kwargs={"cohort": cohort if i % 2 else None},
        )
        for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    exported = [
        pk
        for batch in RosterExport.objects.filter(pk__in=results)
        for pk in batch.enrollments.values_list("pk", flat=True)
    ]
    assert sorted(exported) == sorted(e.pk for e in enrollments)  # each once
    assert len(results) + len(errors) == 4 and len(results) >= 1
    assert sum(RosterExport.objects.values_list("row_count", flat=True)) == 30
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"submitted"}


def test_an_enrollment_cancelled_while_the_export_waits_is_left_out(postgres, monkeypatch):
    monkeypatch.setenv("CAREERSAFE_MODE", "roster")
    careersafe = Partner.objects.create(slug="careersafe", name="CareerSafe", mode="roster")
    course = make_course(careersafe)
    kept, cancelled = make_enrollment(course=course), make_enrollment(course=course)
    locked, release = threading.Event(), threading.Event()

    def cancel():
        try:
            with transaction.atomic():
                row = Enrollment.objects.select_for_update().get(pk=cancelled.pk)
                row.status = EnrollmentStatus.CANCELLED
                row.save(update_fields=["status"])
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    results, errors = [], []
    canceller = threading.Thread(target=cancel)
    canceller.start()
    locked.wait(10)
    exporter = threading.Thread(target=_export_in_thread, args=(careersafe, results, errors))
    exporter.start()
    time.sleep(0.5)  # the export now waits on the cancelled row's lock
    release.set()
    canceller.join()
    exporter.join()

    batch = RosterExport.objects.get(pk=results[0])
    assert list(batch.enrollments.all()) == [kept]
    cancelled.refresh_from_db()
    assert cancelled.status == EnrollmentStatus.CANCELLED


# --- manage.py export_roster -------------------------------------------------------------


def export_command(*args) -> str:
    out = io.StringIO()
    call_command("export_roster", *args, stdout=out)
    return out.getvalue()


def test_the_command_exports_and_says_which_batch_how_many_and_where(careersafe, tmp_path):
    cohort = make_cohort(partner=careersafe, group_code="G-9")
    make_enrollment(course=make_course(careersafe), cohort=cohort)
    make_enrollment(course=make_course(careersafe))  # another cohort's: stays
    target = tmp_path / "out" / "roster.xlsx"
    target.parent.mkdir()

    printed = export_command(
        "careersafe", "--cohort", str(cohort.pk), "--format", "xlsx", "--output", str(target)
    )

    batch = RosterExport.objects.get()
    assert (batch.row_count, batch.format, batch.cohort) == (1, "xlsx", cohort)
    assert f"Roster batch {batch.pk}: 1 enrollment(s)" in printed
    assert batch.file.path in printed and str(target) in printed
    with batch.file.open("rb") as f:
        assert target.read_bytes() == f.read()
    assert Enrollment.objects.filter(status=EnrollmentStatus.REQUESTED).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "Unknown partner 'nobody'"),
        (["careersafe", "--cohort", "99999"], "No cohort with id 99999"),
        (["careersafe", "--output", "/no/such/dir/r.csv"], "is not a directory"),
        (["careersafe"], "is waiting for a roster file"),
    ],
)
def test_the_command_refuses_clearly(careersafe, args, message):
    with pytest.raises(CommandError, match=message):
        export_command(*args)
    assert not RosterExport.objects.exists()


def test_the_command_refuses_a_partner_not_in_roster_mode(careersafe, monkeypatch):
    monkeypatch.setenv("CAREERSAFE_MODE", "manual")
    make_enrollment(course=make_course(careersafe))
    with pytest.raises(CommandError, match="in manual mode, not roster mode"):
        export_command("careersafe")
    monkeypatch.setenv("CAREERSAFE_MODE", "fax")
    with pytest.raises(CommandError, match="CAREERSAFE_MODE"):
        export_command("careersafe")


def test_the_enrollments_timeline_says_which_batch_sent_it_and_who(careersafe):
    from enrollments.selectors import enrollment_timeline

    enrollment = make_enrollment(course=make_course(careersafe))
    user = User.objects.create_user("coordinator")
    batch = roster_export(partner=careersafe, exported_by_id=user.pk)

    entries = [e for e in enrollment_timeline(enrollment) if "roster batch" in e.title]
    assert [e.title for e in entries] == [f"Sent in roster batch {batch.pk} by coordinator"]
    assert entries[0].link.endswith(f"/rosterexport/{batch.pk}/change/")
