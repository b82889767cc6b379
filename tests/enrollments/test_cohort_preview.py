"""Before a cohort or a selection is enrolled, the preview says what will happen (writing
nothing), and the enrolment then does what it said; pasted e-mails and references add
students to a cohort."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollments.models import Cohort, Enrollment, EnrollmentStatus, Voucher
from enrollments.services import (
    cohort_add_students,
    cohort_enroll,
    enrolment_preview,
    students_enroll,
)
from enrollments.services.cohorts import ALREADY_ENROLLED, NO_VOUCHER
from tests.factories import make_course, make_student, make_voucher, partner

pytestmark = pytest.mark.django_db


def cohort_of(n: int) -> Cohort:
    cohort = Cohort.objects.create(name=f"Cohort of {n}")
    cohort.students.add(*[make_student(last_name=f"Member{i:02d}") for i in range(n)])
    return cohort


def test_preview_counts_the_vouchers_short_and_who_would_go_without():
    course = make_course(needs_voucher=True)
    for _ in range(3):
        make_voucher(partner=course.partner)
    make_voucher(partner=course.partner, course=make_course(course.partner))  # another course
    cohort = cohort_of(5)
    members = list(cohort.students.order_by("last_name"))
    Enrollment.objects.create(student=members[0], course=course, status=EnrollmentStatus.ACTIVE)
    vouchers_before = Voucher.objects.filter(enrollment__isnull=True).count()

    preview = enrolment_preview(course=course, students=cohort.students.all(), cohort=cohort)

    assert [e.student for e in preview.already_enrolled] == [members[0]]
    assert preview.to_enrol == members[1:]
    assert preview.vouchers_usable == 3
    assert preview.short == [members[4]]
    assert (preview.short_by, preview.will_enrol) == (1, 3)
    assert Enrollment.objects.count() == 1  # nothing written
    assert Voucher.objects.filter(enrollment__isnull=True).count() == vouchers_before

    results = cohort_enroll(cohort=cohort, course=course)

    # The enrolment does what the preview said, each refusal with its reason.
    enrolled = [r.student for r in results if r.enrollment]
    assert enrolled == members[1:4]
    assert {r.student.pk: r.reason for r in results if r.error} == {
        members[0].pk: ALREADY_ENROLLED,
        members[4].pk: NO_VOUCHER,
    }


def test_preview_names_a_partner_in_roster_mode(monkeypatch):
    course = make_course(partner("careersafe"))
    monkeypatch.setenv("CAREERSAFE_MODE", "roster")

    preview = enrolment_preview(course=course, students=[make_student()])

    assert preview.waits_for_roster
    assert preview.configuration_error == ""
    assert preview.will_enrol == 1


def test_preview_names_the_missing_configuration(monkeypatch, settings):
    settings.PARTNER_SIMULATOR = False
    monkeypatch.setenv("HSI_MODE", "api")
    monkeypatch.delenv("HSI_API_BASE_URL", raising=False)
    course = make_course(partner("hsi"))

    preview = enrolment_preview(course=course, students=[make_student()])

    assert "HSI_API_BASE_URL" in preview.configuration_error


def test_preview_of_a_course_not_offered_enrols_nobody():
    course = make_course(active=False)

    preview = enrolment_preview(course=course, students=[make_student(), make_student()])

    assert preview.not_offered and preview.will_enrol == 0


def test_preview_queries_do_not_grow_with_the_students():
    course = make_course(needs_voucher=True)
    small, large = cohort_of(2), cohort_of(30)
    for cohort, enrolled in ((small, 1), (large, 10)):
        for student in cohort.students.all()[:enrolled]:
            Enrollment.objects.create(student=student, course=course)

    def preview_of(cohort) -> list[str]:
        preview = enrolment_preview(course=course, students=cohort.students.all(), cohort=cohort)
        return [e.student.full_name for e in preview.already_enrolled]  # as the page shows

    preview_of(small)  # warm
    with CaptureQueriesContext(connection) as few:
        assert len(preview_of(small)) == 1
    with CaptureQueriesContext(connection) as many:
        assert len(preview_of(large)) == 10

    assert len(many) == len(few)


def test_students_enroll_gives_each_student_a_result():
    course = make_course()
    ann, bo = make_student(last_name="Ann"), make_student(last_name="Bo")
    Enrollment.objects.create(student=bo, course=course)

    results = students_enroll(students=[bo, ann], course=course, funding_source="wioa")

    assert [(r.student, bool(r.enrollment), r.reason) for r in results] == [
        (ann, True, ""),
        (bo, False, ALREADY_ENROLLED),
    ]
    assert Enrollment.objects.get(student=ann).funding_source == "wioa"


def test_pasted_emails_and_references_add_students_and_report_the_rest():
    cohort = Cohort.objects.create(name="Evening")
    ann = make_student(external_ref="R-1", email="ann@example.org")
    bo = make_student(external_ref="R-2", email="bo@example.org")
    cy = make_student(external_ref="R-3", email="cy@example.org")
    make_student(external_ref="R-4", email="shared@example.org")
    make_student(external_ref="R-5", email="shared@example.org")
    cohort.students.add(cy)

    result = cohort_add_students(
        cohort=cohort,
        text="ANN@example.org, r-2\nR-3; nobody@example.org\n\nR-404\tshared@example.org\n",
    )

    assert result.added == [ann, bo]
    assert result.already_in == [cy]
    assert result.not_found == ["nobody@example.org", "R-404"]
    assert result.ambiguous == ["shared@example.org"]
    assert set(cohort.students.all()) == {ann, bo, cy}
