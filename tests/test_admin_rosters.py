"""Roster exports through the admin (enrollments/admin_rosters.py): the export page with
its preview and confirm, the batch's read-only page, downloading the file again, and who
may do what."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from enrollments.models import EmailKind, Enrollment, EnrollmentStatus, RosterExport, StudentEmail
from partners.models import Partner
from tests.factories import make_cohort, make_course, make_enrollment

EXPORT = reverse("admin:enrollments_rosterexport_export")
CHANGELIST = reverse("admin:enrollments_rosterexport_changelist")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def careersafe(db, monkeypatch):
    monkeypatch.setenv("CAREERSAFE_MODE", "roster")
    monkeypatch.setenv("NDS_MODE", "manual")
    Partner.objects.create(slug="nds", name="NDS")
    return Partner.objects.create(slug="careersafe", name="CareerSafe")


def staff(*perms: str) -> User:
    user = User.objects.create_user(f"staff{User.objects.count()}", is_staff=True)
    for dotted in perms:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)


def download_url(batch) -> str:
    return reverse("admin:enrollments_rosterexport_download", args=[batch.pk])


def test_preview_says_how_many_then_confirm_exports_and_shows_the_batch(
    client, careersafe, django_capture_on_commit_callbacks
):
    user = staff("enrollments.change_enrollment", "enrollments.view_rosterexport")
    client.force_login(user)
    cohort = make_cohort(partner=careersafe, group_code="G-1")
    course = make_course(careersafe)
    in_cohort = [make_enrollment(course=course, cohort=cohort) for _ in range(3)]
    other = make_enrollment(course=course)

    page = client.get(EXPORT)
    assert page.status_code == 200
    # Only roster-mode partners can be chosen.
    assert list(page.context["form"].fields["partner"].queryset) == [careersafe]

    form = {"partner": careersafe.pk, "cohort": cohort.pk, "format": "csv"}
    preview = client.post(EXPORT, form)
    assert preview.status_code == 200
    assert preview.context["preview"]["count"] == 3
    assert b'id="roster-count">3<' in preview.content
    assert not RosterExport.objects.exists()  # the preview changes nothing
    assert Enrollment.objects.filter(status=EnrollmentStatus.REQUESTED).count() == 4

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(EXPORT, {**form, "confirm": "1"})

    batch = RosterExport.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("admin:enrollments_rosterexport_change", args=[batch.pk])
    assert (batch.exported_by, batch.cohort, batch.row_count) == (user, cohort, 3)
    assert set(batch.enrollments.all()) == set(in_cohort)
    other.refresh_from_db()
    assert other.status == EnrollmentStatus.REQUESTED
    assert StudentEmail.objects.filter(kind=EmailKind.ENROLLMENT_ACTIVE).count() == 3

    detail = client.get(done["Location"])
    assert detail.status_code == 200
    for enrollment in in_cohort:
        assert f"#{enrollment.pk}</a>" in detail.content.decode()
    assert download_url(batch) in detail.content.decode()
    assert "submitted" in str(next(iter(detail.context["messages"])))


def test_the_download_serves_the_stored_file_again(client, careersafe):
    enrollment = make_enrollment(course=make_course(careersafe))
    client.force_login(staff("enrollments.change_enrollment", "enrollments.view_rosterexport"))
    client.post(EXPORT, {"partner": careersafe.pk, "format": "csv", "confirm": "1"})
    batch = RosterExport.objects.get()

    for _ in range(2):  # and again
        response = client.get(download_url(batch))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv"
        assert "attachment" in response["Content-Disposition"]
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[1][4] == enrollment.student.external_ref

    listing = client.get(CHANGELIST)
    assert download_url(batch) in listing.content.decode()


def test_a_file_gone_from_storage_is_a_clear_404(client, careersafe):
    make_enrollment(course=make_course(careersafe))
    client.force_login(staff("enrollments.change_enrollment", "enrollments.view_rosterexport"))
    client.post(EXPORT, {"partner": careersafe.pk, "format": "xlsx", "confirm": "1"})
    batch = RosterExport.objects.get()
    batch.file.storage.delete(batch.file.name)
    assert client.get(download_url(batch)).status_code == 404


def test_nothing_to_export_is_said_and_makes_no_batch(client, careersafe):
    client.force_login(staff("enrollments.change_enrollment", "enrollments.view_rosterexport"))
    form = {"partner": careersafe.pk, "format": "csv"}
    preview = client.post(EXPORT, form)
    assert preview.context["preview"]["count"] == 0
    assert b"nothing to export" in preview.content
    # A confirm posted anyway (or raced by another export): a form error, no batch.
    response = client.post(EXPORT, {**form, "confirm": "1"})
    assert response.status_code == 200
    assert "is waiting for a roster file" in str(response.context["form"].non_field_errors())
    assert not RosterExport.objects.exists()


def test_a_partner_not_in_roster_mode_cannot_be_chosen(client, careersafe):
    nds = Partner.objects.get(slug="nds")
    enrollment = make_enrollment(course=make_course(nds))
    client.force_login(staff("enrollments.change_enrollment", "enrollments.view_rosterexport"))

    response = client.post(EXPORT, {"partner": nds.pk, "format": "csv", "confirm": "1"})

    assert response.status_code == 200 and response.context["form"].errors["partner"]
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED
    assert not RosterExport.objects.exists()


def test_a_cohort_of_another_partner_is_a_form_error(client, careersafe):
    make_enrollment(course=make_course(careersafe))
    cohort = make_cohort(partner=Partner.objects.get(slug="nds"))
    client.force_login(staff("enrollments.change_enrollment", "enrollments.view_rosterexport"))
    response = client.post(
        EXPORT, {"partner": careersafe.pk, "cohort": cohort.pk, "format": "csv", "confirm": "1"}
    )
    assert "belongs to NDS" in str(response.context["form"].non_field_errors())
    assert not RosterExport.objects.exists()


@pytest.mark.parametrize(
    "perms",
    [
        ["enrollments.view_rosterexport", "enrollments.view_enrollment"],
        ["enrollments.view_rosterexport", "enrollments.add_enrollment"],
    ],
    ids=["view-only", "add-but-not-change"],
)
def test_without_change_enrollment_there_is_no_button_and_no_export(client, careersafe, perms):
    enrollment = make_enrollment(course=make_course(careersafe))
    client.force_login(staff(*perms))

    listing = client.get(CHANGELIST)
    assert listing.status_code == 200 and EXPORT not in listing.content.decode()
    assert client.get(EXPORT).status_code == 403
    form = {"partner": careersafe.pk, "format": "csv", "confirm": "1"}
    assert client.post(EXPORT, form).status_code == 403

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED
    assert not RosterExport.objects.exists()


def test_with_change_enrollment_the_button_is_there(client, careersafe):
    client.force_login(staff("enrollments.change_enrollment", "enrollments.view_rosterexport"))
    assert EXPORT in client.get(CHANGELIST).content.decode()


def test_the_download_needs_view_permission_on_batches(client, careersafe):
    make_enrollment(course=make_course(careersafe))
    client.force_login(staff("enrollments.change_enrollment", "enrollments.view_rosterexport"))
    client.post(EXPORT, {"partner": careersafe.pk, "format": "csv", "confirm": "1"})
    batch = RosterExport.objects.get()

    client.force_login(staff("enrollments.view_enrollment"))
    assert client.get(download_url(batch)).status_code == 403


def test_a_batch_cannot_be_added_changed_or_deleted_by_hand(admin_client, careersafe):
    make_enrollment(course=make_course(careersafe))
    admin_client.post(EXPORT, {"partner": careersafe.pk, "format": "csv", "confirm": "1"})
    batch = RosterExport.objects.get()

    assert admin_client.get(reverse("admin:enrollments_rosterexport_add")).status_code == 403
    delete = reverse("admin:enrollments_rosterexport_delete", args=[batch.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:enrollments_rosterexport_change", args=[batch.pk])
    admin_client.post(change, {"row_count": 99})
    batch.refresh_from_db()
    assert batch.row_count == 1
    assert RosterExport.objects.count() == 1


def test_a_cohorts_page_links_to_its_roster_export_for_staff_who_may_export(client, careersafe):
    cohort = make_cohort(partner=careersafe, group_code="G-2")
    course = make_course(careersafe)
    for _ in range(2):
        make_enrollment(course=course, cohort=cohort)
    # An api-mode partner's requested enrollment in the same cohort is not roster work.
    make_enrollment(course=make_course(), cohort=cohort)
    page_url = reverse("admin:enrollments_cohort_change", args=[cohort.pk])
    link = f"{EXPORT}?partner={careersafe.pk}&amp;cohort={cohort.pk}"

    client.force_login(staff("enrollments.change_cohort", "enrollments.change_enrollment"))
    page = client.get(page_url).content.decode()
    assert link in page
    assert "Export CareerSafe roster (2 waiting)" in page
    assert page.count("roster (") == 1
    # The link opens the export page with the partner and the cohort chosen.
    form = client.get(f"{EXPORT}?partner={careersafe.pk}&cohort={cohort.pk}").context["form"]
    assert str(form["partner"].value()) == str(careersafe.pk)
    assert str(form["cohort"].value()) == str(cohort.pk)

    client.force_login(staff("enrollments.change_cohort"))
    assert "roster (" not in client.get(page_url).content.decode()
