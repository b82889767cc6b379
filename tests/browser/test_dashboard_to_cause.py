"""From a red partner card on the dashboard to one failing call, in a real browser: one
click to the list of that partner's failed calls of the last hour, a second to the call.
The lists fit a 1366 px screen, their cut text whole on hover."""

import re

import pytest
from playwright.sync_api import expect

from monitoring.models import CallOutcome
from tests.factories import make_alert, make_request_log, partner

pytestmark = pytest.mark.browser

ERROR = (
    "HSI answered 503 Service Unavailable: the partner's load balancer had no healthy "
    "backend for /api/v1/enrollments; retried with the same Idempotency-Key"
)


def hsi_failing() -> list:
    """HSI red: 6 of 8 calls in the hour failed (and an open critical alert)."""
    hsi = partner("hsi")
    failed = [
        make_request_log(
            partner=hsi,
            outcome=CallOutcome.SERVER_ERROR,
            status_code=503,
            error_class="PartnerUnavailableError",
            error_message=ERROR,
            correlation_id=f"corr-{n}",
        )
        for n in range(6)
    ]
    for _ in range(2):
        make_request_log(partner=hsi)
    make_request_log(partner=partner("nds"), outcome=CallOutcome.SERVER_ERROR, status_code=503)
    make_alert(partner=hsi, rule="partner_error_rate", severity="critical", resolved_at=None)
    return failed


def fits_the_screen(page) -> bool:
    """The list's table is no wider than its box (nothing scrolls sideways)."""
    return page.evaluate(
        "() => { const box = document.querySelector('#changelist .results');"
        " return box.scrollWidth <= box.clientWidth; }"
    )


def test_red_card_to_a_failing_call_in_two_clicks(admin_page, shot, steps):
    page = admin_page
    failed = hsi_failing()

    steps.goto(page, "/admin/monitoring/dashboard/")
    card = page.locator('[data-partner="hsi"]')
    expect(card).to_have_attribute("data-health", "red")
    expect(card.get_by_text("6 failed")).to_be_visible()
    shot(page, "dashboard-hsi-red")

    steps.click(card.get_by_role("link", name="Failing calls in the last hour"))
    expect(page).to_have_url(re.compile(r"/admin/monitoring/partnerrequestlog/\?"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(len(failed))  # HSI's failures only: not NDS's, no successes
    chosen = page.locator("#changelist-filter li.selected").all_inner_texts()
    assert {"last hour", "HSI (ASHI / MEDIC First Aid)", "failed (4xx, 5xx, no answer)"} <= {
        text.strip() for text in chosen
    }
    assert fits_the_screen(page)
    message = rows.first.locator(".truncated").last
    expect(message).to_have_attribute("title", ERROR)  # the whole text on hover
    shot(page, "hsi-failed-calls-last-hour")

    steps.click(rows.first.locator("th a, td a").first)
    expect(page).to_have_url(re.compile(r"/admin/monitoring/partnerrequestlog/\d+/change/"))
    expect(page.get_by_text(ERROR)).to_be_visible()
    expect(page.locator("ol.breadcrumbs, div.breadcrumbs")).to_be_visible()
    shot(page, "one-failing-call")

    clicks = [step for step in steps.done if step.startswith("click")]
    assert len(clicks) == 2


def test_an_alert_leads_to_its_calls_and_the_enrollments_they_touch(admin_page, shot, steps):
    page = admin_page
    failed = hsi_failing()

    steps.goto(page, "/admin/monitoring/dashboard/")
    alerts = page.locator("#open-alerts")
    steps.click(alerts.get_by_role("link", name="Enrollments affected"))
    affected = page.get_by_role("link", name=re.compile(r"^6 enrollments$"))
    expect(affected).to_be_visible()
    shot(page, "alert-what-it-affects")

    steps.click(affected)
    expect(page.locator("#result_list tbody tr")).to_have_count(len(failed))
    shot(page, "alert-affected-enrollments")


def test_the_admin_index_puts_daily_work_first(admin_page, shot, steps):
    page = admin_page
    steps.goto(page, "/admin/")
    sections = page.locator("#content-main .module caption").all_inner_texts()
    assert sections[0].strip().lower() == "students and enrollments"
    assert [s.strip().lower() for s in sections].count("monitoring") == 1
    first = page.locator(".app-enrollments th[scope=row]").all_inner_texts()[:2]
    assert first == ["Students", "Enrollments"]
    dashboard = page.get_by_role("link", name="Partner dashboard")
    box = dashboard.bounding_box()
    assert box and box["height"] < 30  # one line, not a letter a line
    assert page.locator('link[rel="icon"]').count() == 1
    shot(page, "admin-index")
