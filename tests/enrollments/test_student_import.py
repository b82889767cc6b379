"""Importing students from CSV/XLSX: a preview that writes nothing and says what each row
will do, then an apply that does exactly that (and adds them to a cohort)."""

import io

import pytest
from openpyxl import Workbook

from enrollments.models import Cohort, Student
from enrollments.services.students import (
    StudentImportError,
    student_table_from_text,
    student_table_read,
    student_table_to_text,
    students_import_apply,
    students_import_preview,
)
from tests.factories import make_student

pytestmark = pytest.mark.django_db

HEADER = ["Student reference", "First name", "Last name", "E-mail", "Phone"]


def table(*rows):
    return [HEADER, *[list(r) for r in rows]]


def test_preview_says_what_each_row_will_do_and_writes_nothing():
    make_student(
        external_ref="R-1", first_name="Ann", last_name="Lee", email="ann@example.org", phone="555"
    )
    make_student(external_ref="R-2", first_name="Bo", last_name="Ray", email="bo@example.org")
    rows = table(
        ("R-1", "Ann", "Lee", "ANN@example.org", ""),  # same (e-mail case, empty phone)
        ("R-2", "Bo", "Ray", "bo.ray@example.org", "555-0101"),  # e-mail and phone change
        ("R-3", "Cy", "Fox", "cy@example.org", ""),  # new
        ("R-4", "Di", "", "di@example.org", ""),  # no last name
        ("R-5", "Ed", "Moe", "not-an-email", ""),  # bad e-mail
        ("R-3", "Cy", "Fox", "cy@example.org", ""),  # twice in the file
        ("", "Flo", "Ng", "flo@example.org", ""),  # no reference
        ("", "", "", "", ""),  # blank: skipped
    )
    before = Student.objects.count()

    preview = students_import_preview(table=rows)

    assert Student.objects.count() == before
    outcomes = {r.line: (r.outcome, r.reason) for r in preview.rows}
    assert outcomes == {
        2: ("unchanged", ""),
        3: ("updated", ""),
        4: ("created", ""),
        5: ("invalid", "missing last name"),
        6: ("invalid", "bad e-mail 'not-an-email'"),
        7: ("invalid", "the reference R-3 is on row 4 too"),
        8: ("invalid", "no student reference"),
    }
    assert preview.of("updated")[0].changes == [
        "e-mail: bo@example.org → bo.ray@example.org",
        "phone: (none) → 555-0101",
    ]


def test_apply_creates_updates_and_adds_every_valid_row_to_the_cohort():
    bo = make_student(external_ref="R-2", first_name="Bo", last_name="Ray", email="bo@x.org")
    cohort = Cohort.objects.create(name="Spring")
    rows = table(
        ("R-2", "Bo", "Ray", "Bo.Ray@X.org", ""),
        ("R-3", " Cy ", "Fox", "cy@example.org", "555"),
        ("R-4", "Di", "", "di@example.org", ""),
    )

    result = students_import_apply(table=rows, cohort=cohort)

    bo.refresh_from_db()
    assert bo.email == "bo.ray@x.org"
    cy = Student.objects.get(external_ref="R-3")
    assert (cy.first_name, cy.phone) == ("Cy", "555")
    assert not Student.objects.filter(external_ref="R-4").exists()
    assert set(cohort.students.all()) == {bo, cy}
    assert [r.outcome for r in result.rows] == ["updated", "created", "invalid"]

    again = students_import_apply(table=rows, cohort=cohort)
    assert [r.outcome for r in again.rows] == ["unchanged", "unchanged", "invalid"]
    assert Student.objects.filter(external_ref__in=["R-2", "R-3"]).count() == 2


def test_a_row_refused_as_it_is_written_is_reported_and_the_others_still_imported(monkeypatch):
    from django.core.exceptions import ValidationError

    from enrollments.services import students as service

    real = service.student_create

    def create(**fields):
        if fields["external_ref"] == "R-2":
            raise ValidationError({"external_ref": "A student with this reference already exists."})
        return real(**fields)

    monkeypatch.setattr(service, "student_create", create)
    rows = table(("R-1", "Ann", "Lee", "ann@example.org", ""), ("R-2", "Bo", "Ray", "bo@x.org", ""))

    result = students_import_apply(table=rows)

    assert [(r.outcome, r.reason) for r in result.rows] == [
        ("created", ""),
        ("invalid", "A student with this reference already exists."),
    ]
    assert list(Student.objects.values_list("external_ref", flat=True)) == ["R-1"]


def test_a_reference_taken_between_preview_and_apply_becomes_an_update():
    rows = table(("R-9", "Gus", "Hale", "gus@example.org", ""))
    assert students_import_preview(table=rows).rows[0].outcome == "created"
    make_student(external_ref="R-9", first_name="Gus", last_name="Old", email="gus@example.org")

    result = students_import_apply(table=rows)

    assert result.rows[0].outcome == "updated"
    assert Student.objects.get(external_ref="R-9").last_name == "Hale"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["Name", "E-mail"], "reference, first name, last name not found"),
        (["ref", "first name", "last name", "email", "Email address"], "e-mail is named twice"),
    ],
)
def test_a_table_without_the_columns_is_refused_whole(header, message):
    with pytest.raises(StudentImportError, match=message):
        students_import_preview(table=[header, ["x", "y", "z", "a@b.org", "c"]])


def test_unknown_columns_are_listed_as_ignored():
    preview = students_import_preview(
        table=[[*HEADER, "Shoe size"], ["R-1", "Ann", "Lee", "ann@example.org", "", "9"]]
    )
    assert preview.ignored_columns == ["Shoe size"]
    assert preview.rows[0].outcome == "created"


def test_xlsx_and_csv_read_to_the_same_rows():
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([1042, "Zoë", "Lee", "zoe@example.org", None])  # a numeric reference
    data = io.BytesIO()
    book.save(data)

    from_xlsx = student_table_read(name="cohort.xlsx", content=data.getvalue())
    # Excel on Windows writes "CSV UTF-8" or the Windows code page, often with semicolons.
    csv_text = ";".join(HEADER) + "\n1042;Zoë;Lee;zoe@example.org;\n"
    from_csv = student_table_read(name="cohort.csv", content=csv_text.encode("cp1252"))

    assert from_xlsx == from_csv == [HEADER, ["1042", "Zoë", "Lee", "zoe@example.org", ""]]
    # The preview page carries the rows as CSV text to the confirm.
    assert student_table_from_text(student_table_to_text(from_xlsx)) == from_xlsx


def test_a_file_that_is_not_a_spreadsheet_is_a_clear_error():
    with pytest.raises(StudentImportError, match="cannot be read"):
        student_table_read(name="cohort.xlsx", content=b"PK\x03\x04 not really a zip")


def test_a_pdf_or_an_old_xls_is_named_for_what_it_is():
    with pytest.raises(StudentImportError, match="This is a PDF document"):
        student_table_read(name="cohort.csv", content=b"%PDF-1.7 ...")
    with pytest.raises(StudentImportError, match=r"old Excel \.xls"):
        student_table_read(name="cohort.xls", content=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
