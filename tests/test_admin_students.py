"""Students and cohorts in the admin, through the test client: the student's page, the
import (preview, then confirm), adding to cohorts, and enrolling with a preview and one
summary message."""

import html
import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from enrollments.models import Cohort, Enrollment, EnrollmentStatus, Student
from tests.factories import (
    make_certificate,
    make_course,
    make_enrollment,
    make_student,
    make_student_email,
    make_voucher,
)

pytestmark = pytest.mark.django_db

HEADER = "Student reference,First name,Last name,E-mail\n"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def student_page(student) -> str:
    return reverse("admin:enrollments_student_change", args=[student.pk])


def give_record(student) -> None:
    """An enrollment with a certificate and an e-mail, one more each call."""
    enrollment = make_enrollment(
        student=student, status=EnrollmentStatus.COMPLETED, progress_percent=100
    )
    make_certificate(enrollment=enrollment)
    make_student_email(enrollment=enrollment)


# --- The student's page ------------------------------------------------------------------


def test_student_page_lists_enrollments_certificates_and_emails(admin_client):
    student = make_student()
    done = make_enrollment(student=student, status=EnrollmentStatus.COMPLETED)
    certificate = make_certificate(enrollment=done, number="CPR-123")
    email = make_student_email(enrollment=done, subject="Your certificate is ready")
    failed = make_enrollment(
        student=student, status=EnrollmentStatus.FAILED, last_error="Partner refused: no seat"
    )

    page = admin_client.get(student_page(student)).content.decode()

    for enrollment in (done, failed):
        assert reverse("admin:enrollments_enrollment_change", args=[enrollment.pk]) in page
        assert enrollment.course.code in page
    assert "Partner refused: no seat" in page
    assert "CPR-123" in page
    assert reverse("admin:enrollments_certificate_change", args=[certificate.pk]) in page
    assert "Your certificate is ready" in page
    assert reverse("admin:enrollments_studentemail_change", args=[email.pk]) in page
    assert reverse("admin:enrollments_student_enrol", args=[student.pk]) in page


def test_student_page_queries_do_not_grow_with_the_record(admin_client):
    student = make_student()
    give_record(student)
    admin_client.get(student_page(student))  # warm caches

    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(student_page(student)).status_code == 200
    for _ in range(6):
        give_record(student)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(student_page(student))

    assert len(response.context["record_enrollments"]) == 7
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_enrol_button_enrols_the_student_after_a_preview(admin_client):
    student = make_student()
    course = make_course()
    url = reverse("admin:enrollments_student_enrol", args=[student.pk])

    preview = admin_client.get(url, {"course": course.pk, "funding_source": "wioa"})
    assert preview.context["preview"].will_enrol == 1
    assert not Enrollment.objects.exists()

    done = admin_client.post(url, {"course": course.pk, "funding_source": "wioa", "apply": "1"})

    assert done["Location"] == student_page(student)
    assert Enrollment.objects.get().student == student


# --- Import ------------------------------------------------------------------------------


def csv_upload(text: str, name: str = "cohort.csv"):
    upload = io.BytesIO(text.encode())
    upload.name = name
    return upload


def test_import_previews_then_creates_the_students_and_their_cohort(admin_client):
    url = reverse("admin:enrollments_student_import")
    rows = "".join(f"R-{i},Ann{i},Lee,ann{i}@example.org\n" for i in range(30))
    bad = "R-99,Bo,,bo@example.org\nR-98,Cy,Fox,not-an-email\n"

    preview = admin_client.post(
        url, {"file": csv_upload(HEADER + rows + bad), "new_cohort": "Spring 2027"}
    )

    assert preview.status_code == 200
    found = preview.context["preview"]
    assert (len(found.created), len(found.invalid)) == (30, 2)
    page = preview.content.decode()
    assert "missing last name" in page and "bad e-mail" in page
    assert not Student.objects.exists() and not Cohort.objects.exists()

    # The confirm posts back what the preview read, from the page (the file is not sent
    # again).
    carried = html.unescape(re.search(r'name="rows" value="([^"]*)"', page).group(1))
    done = admin_client.post(
        url, {"rows": carried, "new_cohort": "Spring 2027", "confirm": "1"}, follow=True
    )

    cohort = Cohort.objects.get(name="Spring 2027")
    assert done.redirect_chain[-1][0] == reverse(
        "admin:enrollments_cohort_change", args=[cohort.pk]
    )
    assert cohort.students.count() == Student.objects.count() == 30
    texts = messages_of(done)
    assert any("30 student(s) created" in t for t in texts)
    assert any("row 32: missing last name" in t for t in texts)


def test_import_reads_xlsx(admin_client):
    book = Workbook()
    book.active.append(["Reference", "First name", "Last name", "Email"])
    book.active.append(["R-1", "Ann", "Lee", "ann@example.org"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "students.xlsx"

    preview = admin_client.post(reverse("admin:enrollments_student_import"), {"file": data})

    assert [r.outcome for r in preview.context["preview"].rows] == ["created"]


def test_a_file_without_the_columns_is_a_form_error(admin_client):
    response = admin_client.post(
        reverse("admin:enrollments_student_import"), {"file": csv_upload("Name\nAnn\n")}
    )
    assert response.status_code == 200
    assert "reference, first name, last name, e-mail not found" in response.content.decode()


def staff(*codenames: str) -> User:
    user = User.objects.create_user(f"staff{User.objects.count()}", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)


def test_import_needs_add_and_change_student(client):
    client.force_login(staff("view_student", "add_student"))
    url = reverse("admin:enrollments_student_import")

    assert client.get(url).status_code == 403
    response = client.post(url, {"rows": HEADER + "R-1,Ann,Lee,a@example.org\n", "confirm": "1"})
    assert response.status_code == 403
    assert not Student.objects.exists()
    assert (
        "Import students"
        not in client.get(reverse("admin:enrollments_student_changelist")).content.decode()
    )


def test_import_into_a_new_cohort_needs_add_cohort(client):
    client.force_login(staff("view_student", "add_student", "change_student", "change_cohort"))

    response = client.post(
        reverse("admin:enrollments_student_import"),
        {"rows": HEADER + "R-1,Ann,Lee,a@example.org\n", "new_cohort": "New", "confirm": "1"},
    )

    assert "You may not add cohorts." in response.content.decode()
    assert not Student.objects.exists() and not Cohort.objects.exists()


# --- Cohorts -----------------------------------------------------------------------------


def test_pasted_emails_and_references_are_added_and_the_missing_reported(admin_client):
    cohort = Cohort.objects.create(name="Evening")
    ann = make_student(email="ann@example.org")
    bo = make_student(external_ref="R-BO")

    response = admin_client.post(
        reverse("admin:enrollments_cohort_add_students", args=[cohort.pk]),
        {"names": "ann@example.org, R-BO\nghost@example.org"},
        follow=True,
    )

    assert set(cohort.students.all()) == {ann, bo}
    assert messages_of(response) == [
        "2 student(s) added to Evening. Not found (1): ghost@example.org."
    ]


def test_add_to_cohort_action(admin_client):
    students = [make_student(), make_student()]
    cohort = Cohort.objects.create(name="Morning")

    admin_client.post(
        reverse("admin:enrollments_student_changelist"),
        {
            "action": "add_to_cohort",
            "_selected_action": [s.pk for s in students],
            "apply": "1",
            "cohort": cohort.pk,
        },
    )

    assert set(cohort.students.all()) == set(students)


def cohort_of(n: int) -> Cohort:
    cohort = Cohort.objects.create(name=f"Cohort of {n}")
    cohort.students.add(*[make_student(last_name=f"Member{i:02d}") for i in range(n)])
    return cohort


def test_cohort_enrolment_warns_first_and_reports_once(admin_client):
    course = make_course(needs_voucher=True)
    for _ in range(27):
        make_voucher(partner=course.partner)
    cohort = cohort_of(30)
    first = cohort.students.order_by("last_name").first()
    Enrollment.objects.create(student=first, course=course, status=EnrollmentStatus.ACTIVE)
    url = reverse("admin:enrollments_cohort_enrol", args=[cohort.pk])

    preview = admin_client.get(url, {"course": course.pk, "funding_source": "wioa"})

    page = preview.content.decode()
    assert "Already enrolled: 1" in page
    assert "Vouchers short by 2" in page
    assert "Confirm: enrol 27" in page
    assert Enrollment.objects.count() == 1

    done = admin_client.post(
        url, {"course": course.pk, "funding_source": "wioa", "apply": "1"}, follow=True
    )

    assert Enrollment.objects.filter(cohort=cohort).count() == 27
    texts = messages_of(done)
    assert len(texts) == 1  # one summary, not one banner per student
    assert "27 of 30 student(s) enrolled" in texts[0]
    assert "Not enrolled, no voucher, credit or seat left (2)" in texts[0]
    assert "Not enrolled, already enrolled (1)" in texts[0]
    assert reverse("admin:enrollments_student_change", args=[first.pk]) in texts[0]


def test_selected_students_enrolment_reports_once(admin_client):
    course = make_course(needs_voucher=True)
    students = [make_student() for _ in range(5)]
    changelist = reverse("admin:enrollments_student_changelist")
    data = {
        "action": "enroll_students",
        "_selected_action": [s.pk for s in students],
        "course": course.pk,
        "funding_source": "wioa",
    }

    preview = admin_client.post(changelist, data)
    assert preview.context["preview"].short_by == 5
    done = admin_client.post(changelist, {**data, "apply": "1"}, follow=True)

    assert not Enrollment.objects.exists()
    texts = messages_of(done)
    assert len(texts) == 1
    assert texts[0].startswith("No student enrolled in")
    assert "no voucher, credit or seat left (5)" in texts[0]


def test_cohort_enrolment_needs_add_enrollment(client):
    cohort = cohort_of(2)
    course = make_course()
    client.force_login(staff("view_cohort", "change_cohort"))
    url = reverse("admin:enrollments_cohort_enrol", args=[cohort.pk])

    assert client.get(url, {"course": course.pk}).status_code == 403
    client.post(url, {"course": course.pk, "funding_source": "wioa", "apply": "1"})
    assert not Enrollment.objects.exists()
    page = client.get(reverse("admin:enrollments_cohort_change", args=[cohort.pk]))
    assert "Preview enrolment" not in page.content.decode()
