"""Result imports through the admin, with the test client: upload a report, see every
row's outcome (filtered), apply it once, download the file and the rows not applied; and
staff without `enrollments.change_enrollment` can neither import nor apply."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrollments.models import (
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    ImportStatus,
    ResultImport,
)
from partners.models import Partner, PartnerCourse
from tests.factories import make_account, make_enrollment, make_student

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "results"
pytestmark = pytest.mark.django_db
UPLOAD = reverse("admin:enrollments_resultimport_upload")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def careersafe(catalogue):
    course = PartnerCourse.objects.get(partner__slug="careersafe", code="OSHA10-GI")
    ana = make_student(first_name="Ana", last_name="Rivera", email="ana.rivera@example.org")
    make_account(student=ana, partner=course.partner, external_id="CS-M-1001")
    linh = make_student(first_name="Linh", last_name="Nguyen", email="linh.nguyen@example.org")
    return {
        "partner": course.partner,
        "ana": make_enrollment(student=ana, course=course, status=EnrollmentStatus.SUBMITTED),
        "linh": make_enrollment(student=linh, course=course, status=EnrollmentStatus.ACTIVE),
    }


def staff(*perms: str) -> User:
    user = User.objects.create_user(f"staff{User.objects.count()}", is_staff=True)
    for dotted in perms:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)


def upload(client, partner, name: str, mapping: str = "gradebook"):
    return client.post(
        UPLOAD,
        {
            "partner": partner.pk,
            "mapping": f"{partner.slug}:{mapping}",
            "file": SimpleUploadedFile(name, (FIXTURES / name).read_bytes()),
        },
    )


def importer():
    return staff("enrollments.change_enrollment", "enrollments.view_resultimport")


def test_upload_preview_filter_apply_once_and_download(
    client, careersafe, django_capture_on_commit_callbacks
):
    client.force_login(importer())
    changelist = client.get(reverse("admin:enrollments_resultimport_changelist"))
    assert UPLOAD in changelist.content.decode()  # the button

    response = upload(client, careersafe["partner"], "careersafe_gradebook_broken.csv")

    record = ResultImport.objects.get()
    page_url = reverse("admin:enrollments_resultimport_change", args=[record.pk])
    assert response.status_code == 302 and response["Location"] == page_url
    assert record.status == ImportStatus.PREVIEWED and record.imported_by.username.startswith(
        "staff"
    )
    page = client.get(page_url).content.decode()
    assert "Apply 2 matched rows" in page
    assert "&#x27;31/02/2026&#x27; is not a date" in page and "partner account id" in page
    assert Enrollment.objects.get(pk=careersafe["linh"].pk).progress_percent == 0

    invalid = client.get(page_url, {"outcome": "invalid"}).content.decode()
    assert "is not a date" in invalid and "Withdrawn" in invalid
    assert "same result as line 5" not in invalid
    unmatched = client.get(page_url, {"outcome": "unmatched"}).content.decode()
    assert "CS-M-9999" in unmatched and "is not a date" not in unmatched

    apply_url = reverse("admin:enrollments_resultimport_apply", args=[record.pk])
    assert "Apply 2 rows" in client.get(apply_url).content.decode()  # asks first
    with django_capture_on_commit_callbacks(execute=True):
        client.post(apply_url)
        client.post(apply_url)  # a second press (or a replayed POST): nothing more
    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED
    assert record.counts == {"applied": 2, "invalid": 2, "unmatched": 1, "ignored": 1}
    assert EnrollmentEvent.objects.count() == 2
    assert Enrollment.objects.get(pk=careersafe["ana"].pk).status == EnrollmentStatus.COMPLETED
    assert [m.to for m in mail.outbox] == [["ana.rivera@example.org"]]
    assert "Apply" not in client.get(page_url).content.decode().split("result-rows")[0]

    kept = client.get(reverse("admin:enrollments_resultimport_file", args=[record.pk]))
    assert (
        b"".join(kept.streaming_content)
        == (FIXTURES / "careersafe_gradebook_broken.csv").read_bytes()
    )
    csv_rows = (
        client.get(reverse("admin:enrollments_resultimport_not_applied", args=[record.pk]))
        .content.decode("utf-8-sig")
        .splitlines()
    )
    assert csv_rows[0].startswith("Line,Outcome,Reason,Member ID,Student Name")
    assert [line.split(",")[:2] for line in csv_rows[1:]] == [
        ["3", "invalid"],
        ["4", "unmatched"],
        ["7", "invalid"],
    ]


def test_a_refused_file_says_why_and_is_kept(client, careersafe):
    client.force_login(importer())
    response = upload(client, careersafe["partner"], "not_a_table.png")

    record = ResultImport.objects.get()
    assert record.status == ImportStatus.REFUSED
    page = client.get(response["Location"]).content.decode()
    assert "This is a PNG image, not a CSV or XLSX file." in page
    assert "Apply" not in page
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == [] or "refused" in messages[0]


def test_the_report_must_be_one_of_the_partners(client, careersafe):
    client.force_login(importer())
    response = upload(client, careersafe["partner"], "careersafe_gradebook.csv", "x")
    assert response.status_code == 200 and not ResultImport.objects.exists()
    certiport = Partner.objects.get(slug="certiport")
    response = client.post(
        UPLOAD,
        {
            "partner": careersafe["partner"].pk,
            "mapping": f"{certiport.slug}:exam-results",
            "file": SimpleUploadedFile("r.csv", b"x"),
        },
    )
    assert "not one of CareerSafe" in response.content.decode()
    assert not ResultImport.objects.exists()


@pytest.mark.parametrize(
    "perms",
    [
        ("enrollments.view_resultimport",),
        ("enrollments.view_resultimport", "enrollments.change_resultimport"),
    ],
    ids=["view-only", "change-import-but-not-enrollment"],
)
def test_staff_without_change_enrollment_can_neither_import_nor_apply(client, careersafe, perms):
    client.force_login(importer())
    upload(client, careersafe["partner"], "careersafe_gradebook.csv")
    record = ResultImport.objects.get()
    client.force_login(staff(*perms))

    changelist = client.get(reverse("admin:enrollments_resultimport_changelist"))
    assert UPLOAD not in changelist.content.decode()
    page = client.get(reverse("admin:enrollments_resultimport_change", args=[record.pk]))
    assert page.status_code == 200 and "Apply 2 matched rows" not in page.content.decode()

    assert client.get(UPLOAD).status_code == 403
    assert upload(client, careersafe["partner"], "careersafe_gradebook.csv").status_code == 403
    apply_url = reverse("admin:enrollments_resultimport_apply", args=[record.pk])
    assert client.post(apply_url).status_code == 403
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED and ResultImport.objects.count() == 1
    assert not EnrollmentEvent.objects.exists()
    # Viewing and downloading need only the view permission.
    assert (
        client.get(reverse("admin:enrollments_resultimport_file", args=[record.pk])).status_code
        == 200
    )


def test_the_apply_post_needs_the_csrf_token(careersafe):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(importer())
    page = client.get(UPLOAD)
    token = page.cookies["csrftoken"].value
    client.post(
        UPLOAD,
        {
            "csrfmiddlewaretoken": token,
            "partner": careersafe["partner"].pk,
            "mapping": "careersafe:gradebook",
            "file": SimpleUploadedFile(
                "g.csv", (FIXTURES / "careersafe_gradebook.csv").read_bytes()
            ),
        },
    )
    record = ResultImport.objects.get()
    apply_url = reverse("admin:enrollments_resultimport_apply", args=[record.pk])

    assert client.post(apply_url).status_code == 403
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED


def test_nobody_adds_changes_or_deletes_an_import_by_hand(admin_client, careersafe):
    admin_client.post(UPLOAD, {})  # an empty form: errors, nothing made
    assert not ResultImport.objects.exists()
    assert admin_client.get(reverse("admin:enrollments_resultimport_add")).status_code == 403
