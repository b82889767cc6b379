"""Logging in to the admin through its form, as a new member of staff does."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_staff_log_in_through_the_form_and_land_on_the_admin(page, superuser, shot, steps):
    steps.goto(page, "/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    shot(page, "login-form")

    steps.fill(page.get_by_label("Username"), "coordinator")
    steps.fill(page.get_by_label("Password"), "pw-123456")
    steps.click(page.get_by_role("button", name="Log in"))

    expect(
        page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))
    ).to_be_visible()
    shot(page, "admin-index")
    assert steps.count == 4
