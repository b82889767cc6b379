"""The Certificate changelist looks ahead: the "Expires" filter (next 30/60/90 days,
already expired, no expiry) and the CSV and XLSX export of the list as filtered, which
needs `enrollments.view_certificate`. Through the admin with the test client."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from openpyxl import load_workbook

from enrollments.models import EnrollmentStatus
from tests.factories import make_certificate, make_course, make_enrollment, make_student, partner

CHANGELIST = "/admin/enrollments/certificate/"
EXPORT_CSV = "/admin/enrollments/certificate/export/csv/"
EXPORT_XLSX = "/admin/enrollments/certificate/export/xlsx/"
HEADER = [
    "student ref",
    "name",
    "e-mail",
    "partner",
    "course",
    "number",
    "issued",
    "expires",
    "verification URL",
]

pytestmark = pytest.mark.django_db


def staff(*codenames: str) -> User:
    user = User.objects.create_user(f"staff{User.objects.count()}", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="enrollments", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)


def certificate(number: str, expires_in: int | None, **student):
    """A certificate issued a year ago expiring `expires_in` days from now (None: never)."""
    now = timezone.now()
    hsi = partner("hsi")
    enrollment = make_enrollment(
        student=make_student(**student),
        course=make_course(hsi, code=f"CPR-{number}", validity_months=None),
        status=EnrollmentStatus.COMPLETED,
        progress_percent=100,
    )
    return make_certificate(
        enrollment=enrollment,
        number=number,
        issued_at=now - timedelta(days=365),
        expires_at=None if expires_in is None else now + timedelta(days=expires_in),
        verification_url=f"https://verify.example/{number}",
    )


@pytest.fixture
def certificates():
    return {
        "soon": certificate("C-10", 10),
        "45": certificate("C-45", 45),
        "80": certificate("C-80", 80),
        "far": certificate("C-200", 200),
        "gone": certificate("C-GONE", -5),
        "never": certificate("C-NEVER", None),
    }


def listed(client, query: str) -> set[str]:
    page = client.get(CHANGELIST + query)
    assert page.status_code == 200
    return {c.number for c in page.context["cl"].result_list}


def test_the_expires_filter_looks_ahead(client, certificates):
    client.force_login(staff("view_certificate"))
    assert listed(client, "?expires=next30") == {"C-10"}
    assert listed(client, "?expires=next60") == {"C-10", "C-45"}
    assert listed(client, "?expires=next90") == {"C-10", "C-45", "C-80"}
    assert listed(client, "?expires=expired") == {"C-GONE"}
    assert listed(client, "?expires=none") == {"C-NEVER"}
    assert len(listed(client, "")) == 6
    assert b"In the next 30 days" in client.get(CHANGELIST).content


def test_the_csv_export_is_the_filtered_list(client, certificates):
    certificate(
        "C-20",
        20,
        external_ref="S-777",
        first_name="Ana",
        last_name="O'Brien",
        email="ana@example.org",
    )
    client.force_login(staff("view_certificate"))
    page = client.get(CHANGELIST + "?expires=next30")
    assert f'{EXPORT_CSV}?expires=next30"'.encode() in page.content  # the button keeps it

    response = client.get(EXPORT_CSV + "?expires=next30&o=1")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="certificates-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == HEADER
    assert sorted(r[5] for r in rows[1:]) == ["C-10", "C-20"]
    [ana] = [r for r in rows if r[5] == "C-20"]
    today = timezone.localdate()
    assert ana == [
        "S-777",
        "Ana O'Brien",
        "ana@example.org",
        "HSI",
        "CPR-C-20",
        "C-20",
        (today - timedelta(days=365)).isoformat(),
        (today + timedelta(days=20)).isoformat(),
        "https://verify.example/C-20",
    ]


def test_a_cell_that_a_spreadsheet_would_run_is_exported_as_text(client):
    certificate("C-1", 30, first_name='=HYPERLINK("http://x")', last_name="")
    client.force_login(staff("view_certificate"))

    rows = list(csv.reader(io.StringIO(client.get(EXPORT_CSV).content.decode())))
    assert rows[1][1] == '\'=HYPERLINK("http://x")'

    sheet = load_workbook(io.BytesIO(client.get(EXPORT_XLSX).content)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x")'


def test_the_xlsx_export_is_the_filtered_list_with_dates(client, certificates):
    client.force_login(staff("view_certificate"))

    response = client.get(EXPORT_XLSX + "?expires=next60")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert sorted(r[5] for r in rows[1:]) == ["C-10", "C-45"]
    [soon] = [r for r in rows if r[5] == "C-10"]
    assert soon[7].date() == timezone.localdate() + timedelta(days=10)
    assert soon[8] == "https://verify.example/C-10"


def test_a_certificate_without_expiry_exports_an_empty_cell(client, certificates):
    client.force_login(staff("view_certificate"))
    rows = list(csv.reader(io.StringIO(client.get(EXPORT_CSV + "?expires=none").content.decode())))
    assert [(r[5], r[7]) for r in rows[1:]] == [("C-NEVER", "")]


def test_staff_without_view_certificate_cannot_export(client, certificates):
    client.force_login(staff("view_voucher", "view_enrollment"))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(EXPORT_CSV).status_code == 403
    assert client.get(EXPORT_XLSX).status_code == 403


def test_view_only_staff_see_the_export_buttons_and_no_action(client, certificates):
    client.force_login(staff("view_certificate"))
    page = client.get(CHANGELIST)
    assert EXPORT_CSV.encode() in page.content and EXPORT_XLSX.encode() in page.content
    assert page.context["action_form"] is None  # exporting is not an action


def test_an_unknown_filter_in_the_export_address_is_refused(client, certificates):
    client.force_login(staff("view_certificate"))
    assert client.get(EXPORT_CSV + "?nosuchfield=1").status_code == 400
