"""Building and enrolling a cohort of 30 from a spreadsheet in a real browser, as a
coordinator does: upload the file on the import page naming a new cohort, confirm, choose
the course on the cohort's page, confirm. The partner is the simulator, over real HTTP.

A "step" in the goal (at most 4) is one page a coordinator fills in and submits; the
`steps` fixture also counts every click, fill, select and upload, and both counts are
written beside the screenshots."""

import csv

import pytest
from playwright.sync_api import expect

from enrollments.models import Cohort, Enrollment, EnrollmentStatus, Student
from partners.models import PartnerCourse
from tests.factories import make_student, make_voucher

pytestmark = pytest.mark.browser

COHORT = "Spring 2027 DER"


def spreadsheet(path, n: int = 30):
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Student reference", "First name", "Last name", "E-mail", "Phone"])
        for i in range(1, n + 1):
            writer.writerow(
                [f"SP27-{i:03d}", f"Student{i:02d}", "Cohortson", f"sp27.{i}@example.org", ""]
            )
    return path


class Submits:
    """Pages filled in and submitted: the goal's unit of a step."""

    def __init__(self, steps):
        self.steps, self.count = steps, 0

    def click(self, locator):
        self.count += 1
        self.steps.click(locator)


def test_a_cohort_of_30_from_a_csv_is_built_and_enrolled_in_4_steps(
    admin_page, shot, steps, tmp_path
):
    page = admin_page
    submits = Submits(steps)
    course = PartnerCourse.objects.get(code="NDS-DER")
    file = spreadsheet(tmp_path / "spring-2027.csv")

    page.goto("/admin/enrollments/student/")
    expect(page.get_by_role("link", name="Import students")).to_be_visible()
    page.get_by_role("link", name="Import students").click()  # how to find it, not counted
    shot(page, "import-page")

    # Step 1: the file and the new cohort's name, previewed.
    steps.upload(page.get_by_label("Spreadsheet"), str(file))
    steps.fill(page.get_by_label("or a new cohort named"), COHORT)
    submits.click(page.get_by_role("button", name="Preview"))
    expect(page.get_by_text("30 new students will be created")).to_be_visible()
    expect(page.get_by_text(f"a new cohort {COHORT}")).to_be_visible()
    assert not Student.objects.exists()
    shot(page, "import-preview")

    # Step 2: confirmed; the cohort's page opens.
    submits.click(page.get_by_role("button", name="Confirm: import 30 students"))
    expect(page.get_by_text("30 student(s) created")).to_be_visible()
    cohort = Cohort.objects.get(name=COHORT)
    assert cohort.students.count() == 30
    shot(page, "cohort-page")

    # Step 3: the course, chosen on the cohort's page, previewed.
    steps.select(page.get_by_label("Enrol cohort in"), str(course.pk))
    submits.click(page.get_by_role("button", name="Preview enrolment"))
    expect(page.get_by_role("heading", name="30 of 30 students will be enrolled")).to_be_visible()
    expect(page.get_by_text("Nothing stands in the way.")).to_be_visible()
    shot(page, "enrol-preview")

    # Step 4: confirmed; one summary message.
    submits.click(page.get_by_role("button", name="Confirm: enrol 30"))
    summary = page.locator("ul.messagelist li")
    expect(summary).to_have_count(1)
    expect(summary).to_contain_text("30 of 30 student(s) enrolled")
    shot(page, "enrolled")

    enrollments = Enrollment.objects.filter(cohort=cohort, course=course)
    assert enrollments.count() == 30
    assert set(enrollments.values_list("status", flat=True)) == {EnrollmentStatus.ACTIVE}
    summary.get_by_role("link").first.click()  # the enrollments made, listed
    expect(page.get_by_text("30 enrollments")).to_be_visible()
    shot(page, "enrollments-made")

    # One of them, on the student's page: the enrollment, and the Enrol button.
    student = Student.objects.get(external_ref="SP27-007")
    page.goto(f"/admin/enrollments/student/{student.pk}/change/")
    enrollments = page.get_by_role("region", name="Enrollments")
    expect(enrollments.get_by_role("link", name="NDS-DER")).to_be_visible()
    expect(enrollments.get_by_text("Active", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Enrol in a course")).to_be_visible()
    shot(page, "student-page")

    print(f"\npages submitted: {submits.count}; actions: {steps.count}")
    assert submits.count <= 4
    assert steps.count == 7  # upload, name, preview, confirm; course, preview, confirm


def test_enrolment_warns_of_a_short_stock_before_and_reports_once_after(admin_page, shot, steps):
    page = admin_page
    course = PartnerCourse.objects.filter(needs_voucher=True).select_related("partner").first()
    cohort = Cohort.objects.create(name="Evening class")
    students = [make_student(last_name=f"Evening{i}") for i in range(5)]
    cohort.students.add(*students)
    Enrollment.objects.create(student=students[0], course=course, status=EnrollmentStatus.ACTIVE)
    for _ in range(2):
        make_voucher(partner=course.partner, cost=1)

    steps.goto(page, f"/admin/enrollments/cohort/{cohort.pk}/change/")
    steps.select(page.get_by_label("Enrol cohort in"), str(course.pk))
    steps.click(page.get_by_role("button", name="Preview enrolment"))
    expect(page.get_by_text("Already enrolled: 1")).to_be_visible()
    expect(page.get_by_text("Vouchers short by 2")).to_be_visible()
    shot(page, "short-stock-preview")

    steps.click(page.get_by_role("button", name="Confirm: enrol 2"))
    summary = page.locator("ul.messagelist li")
    expect(summary).to_have_count(1)
    expect(summary).to_contain_text("2 of 5 student(s) enrolled")
    expect(summary).to_contain_text("Not enrolled, no voucher, credit or seat left (2)")
    shot(page, "one-summary")
