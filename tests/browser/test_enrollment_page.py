"""The enrollment's page in a real browser: the README's demo from its button to a
completed enrollment with a certificate (against the simulator), and a view-only member
of staff who can look but not cancel."""

import re

import pytest
from playwright.sync_api import expect

from enrollments.models import Enrollment, EnrollmentStatus, Voucher
from enrollments.services import enrollment_create
from partners.models import PartnerCourse
from tests.factories import make_student

pytestmark = pytest.mark.browser


def enrolled(code: str) -> Enrollment:
    """An enrollment in `code` made as staff make one, provisioned by the simulator."""
    course = PartnerCourse.objects.get(code=code)
    if course.needs_voucher:
        Voucher.objects.create(partner=course.partner, cost=1)
    enrollment = enrollment_create(student=make_student(), course=course)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE, enrollment.last_error
    return enrollment


def page_of(enrollment: Enrollment) -> str:
    return f"/admin/enrollments/enrollment/{enrollment.pk}/change/"


def test_readme_demo_from_the_enrollment_page_to_a_certificate(admin_page, shot, steps):
    page = admin_page
    enrollment = enrolled("NDS-DER")

    steps.goto(page, page_of(enrollment))
    record = page.get_by_role("region", name="Enrollment")
    expect(record.get_by_text("Active", exact=True)).to_be_visible()
    expect(record.get_by_text("none yet")).to_have_count(2)  # score, certificate
    shot(page, "enrollment-active")

    with page.context.expect_page() as opened:
        steps.click(page.get_by_role("button", name="Open the course as the student"))
    player = opened.value
    expect(player.get_by_role("heading", name="NDS-DER")).to_be_visible()
    shot(player, "course-player")
    steps.click(player.get_by_role("button", name="Finish the course"))
    expect(player.get_by_text("100 % complete")).to_be_visible()
    shot(player, "course-finished")
    player.close()

    steps.reload(page)
    expect(record.get_by_text("Completed", exact=True)).to_be_visible()
    expect(record.locator("progress")).to_have_attribute("value", "100")
    enrollment.refresh_from_db()
    number = enrollment.certificate.number
    assert number
    expect(record.get_by_role("link", name=number, exact=True)).to_be_visible()
    timeline = page.get_by_role("table").filter(has=page.get_by_text("When"))
    expect(
        timeline.get_by_role("link", name=re.compile(r"^Webhook course\.completed"))
    ).to_be_visible()
    expect(
        timeline.get_by_role("link", name=re.compile(r"Course completed|completed", re.I)).first
    ).to_be_visible()
    shot(page, "enrollment-completed")
    assert steps.count == 4


def test_view_only_staff_see_the_record_without_buttons_and_cannot_cancel(
    view_only_page, shot, steps
):
    page = view_only_page
    enrollment = enrolled("NDS-DER")

    steps.goto(page, page_of(enrollment))
    record = page.get_by_role("region", name="Enrollment")
    expect(record.get_by_text("Active", exact=True)).to_be_visible()
    expect(record.get_by_role("button")).to_have_count(0)
    expect(record.get_by_text("acting on it needs the permission")).to_be_visible()
    expect(page.get_by_role("table").filter(has=page.get_by_text("When"))).to_be_visible()
    shot(page, "view-only-record")

    # What the Cancel button would post, forged with the user's own session and token.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    forged = page.request.post(
        page_of(enrollment),
        form={
            "csrfmiddlewaretoken": token,
            "CHANGE_FORM-action": "cancel",
            "_selected_action": str(enrollment.pk),
        },
        max_redirects=0,
    )
    assert forged.status == 403, forged.status
    assert "CSRF" not in forged.text()  # refused for the permission, not the token
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert steps.count == 1
