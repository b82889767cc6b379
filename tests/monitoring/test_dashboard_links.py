"""From the dashboard to the cause: a red card links, in one click, to the list of that
partner's failed calls in the last hour, whose rows open one call (the second click);
alerts link to their calls and to the enrollments they affect."""

import re
from datetime import timedelta
from html import unescape

import pytest

from monitoring.links import affected_enrollment_ids, alert_links
from monitoring.models import CallOutcome
from tests.factories import make_alert, make_enrollment, make_request_log, partner

DASHBOARD = "/admin/monitoring/dashboard/"
pytestmark = pytest.mark.usefixtures("catalogue")


def card(html: str, slug: str) -> str:
    start = html.index(f'data-partner="{slug}"')
    return html[start : html.index("</section>", start)]


def hrefs(html: str, css_class: str) -> list[str]:
    return [unescape(h) for h in re.findall(rf'<a href="([^"]+)" class="{css_class}"', html)]


def listed_ids(response) -> set[int]:
    return {row.pk for row in response.context["cl"].result_list}


def failing_hsi_calls(clock) -> dict:
    """HSI red (8 of 12 calls failed in the hour), with calls that must stay out of its
    list: an older failure, another partner's failure, successes and a refused call."""
    hsi = partner("hsi")
    old = make_request_log(partner=hsi, outcome=CallOutcome.SERVER_ERROR, status_code=503)
    clock.shift(timedelta(minutes=90))
    failed = [
        make_request_log(partner=hsi, outcome=outcome, status_code=code)
        for outcome, code in [(CallOutcome.SERVER_ERROR, 503)] * 5
        + [(CallOutcome.CLIENT_ERROR, 422)] * 2
        + [(CallOutcome.TRANSPORT_ERROR, None)]
    ]
    ok = [make_request_log(partner=hsi) for _ in range(4)]
    refused = make_request_log(partner=hsi, outcome=CallOutcome.REFUSED, status_code=None)
    other = make_request_log(partner=partner("nds"), outcome=CallOutcome.SERVER_ERROR)
    return {"failed": failed, "ok": ok, "old": old, "refused": refused, "other": other}


def test_a_red_card_lists_the_partners_failed_calls_of_the_last_hour_in_one_click(
    admin_client, clock
):
    calls = failing_hsi_calls(clock)
    html = admin_client.get(DASHBOARD).content.decode()
    hsi = card(html, "hsi")
    assert 'data-health="red"' in hsi
    [first_click] = hrefs(hsi, "mon-failing-calls")
    assert hrefs(hsi, "mon-failed") == [first_click]  # the "8 failed" figure links there too

    listing = admin_client.get(first_click)

    assert listing.status_code == 200
    assert listed_ids(listing) == {log.pk for log in calls["failed"]}
    # The second click: a row opens that one call.
    one = calls["failed"][0]
    row_link = f"/admin/monitoring/partnerrequestlog/{one.pk}/change/"
    assert row_link in listing.content.decode()
    detail = admin_client.get(row_link)
    assert detail.status_code == 200 and "503" in detail.content.decode()


def test_a_card_with_refused_calls_links_to_them(admin_client, clock):
    calls = failing_hsi_calls(clock)
    html = admin_client.get(DASHBOARD).content.decode()
    [refused_link] = hrefs(card(html, "hsi"), "mon-refused")
    assert listed_ids(admin_client.get(refused_link)) == {calls["refused"].pk}


def test_a_green_card_has_no_failing_calls_link(admin_client, clock):
    make_request_log(partner=partner("certiport"))
    html = admin_client.get(DASHBOARD).content.decode()
    certiport = card(html, "certiport")
    assert 'data-health="green"' in certiport
    assert "mon-failing-calls" not in certiport


def test_an_error_rate_alert_links_to_its_calls_and_the_enrollments_they_touch(admin_client, clock):
    hsi = partner("hsi")
    touched = [make_enrollment() for _ in range(2)]
    untouched = make_enrollment()
    make_request_log(partner=hsi, outcome=CallOutcome.SERVER_ERROR, enrollment=untouched)
    clock.shift(timedelta(hours=2))  # long before the alert's window
    failed = [
        make_request_log(partner=hsi, outcome=CallOutcome.SERVER_ERROR, enrollment=e)
        for e in touched + touched
    ]
    make_request_log(partner=hsi, enrollment=untouched)  # a success touches nothing
    alert = make_alert(
        partner=hsi, rule="partner_error_rate", severity="critical", resolved_at=None
    )

    links = {link.label: link.url for link in alert_links(alert)}

    assert set(links) == {"Partner calls", "2 enrollments"}
    assert listed_ids(admin_client.get(links["Partner calls"])) == {log.pk for log in failed}
    assert listed_ids(admin_client.get(links["2 enrollments"])) == {e.pk for e in touched}
    assert set(affected_enrollment_ids(alert)) == {e.pk for e in touched}

    page = admin_client.get(f"/admin/monitoring/alert/{alert.pk}/change/").content.decode()
    for url in links.values():
        assert url.replace("&", "&amp;") in page
    dashboard = admin_client.get(DASHBOARD).content.decode()
    assert links["Partner calls"].replace("&", "&amp;") in dashboard
    listing = admin_client.get("/admin/monitoring/alert/").content.decode()
    assert links["Partner calls"].replace("&", "&amp;") in listing


def test_a_resolved_alert_links_to_the_calls_of_its_own_period_only(admin_client, clock):
    hsi = partner("hsi")
    during = make_request_log(partner=hsi, outcome=CallOutcome.SERVER_ERROR)
    alert = make_alert(partner=hsi, rule="partner_error_rate", resolved_at=None)
    clock.shift(timedelta(minutes=30))
    alert.resolved_at = alert.opened_at + timedelta(minutes=20)
    alert.save()
    make_request_log(partner=hsi, outcome=CallOutcome.SERVER_ERROR)  # after it resolved

    [calls] = [link.url for link in alert_links(alert) if link.label == "Partner calls"]
    assert listed_ids(admin_client.get(calls)) == {during.pk}


def test_other_rules_link_to_the_rows_they_counted(admin_client, clock):
    nds = partner("nds")
    for rule in ["webhook_signature_failures", "webhook_events_stuck", "voucher_stock_low"]:
        alert = make_alert(partner=nds, rule=rule, resolved_at=None)
        links = alert_links(alert)
        assert links, rule
        for link in links:
            # 200, not the admin's redirect to ?e=1 for a filter it does not allow.
            assert admin_client.get(link.url).status_code == 200, (rule, link)


def test_the_failed_status_filter_is_every_sent_call_that_did_not_succeed(admin_client, clock):
    calls = failing_hsi_calls(clock)
    listing = admin_client.get("/admin/monitoring/partnerrequestlog/", {"status": "failed"})
    expected = {log.pk for log in [*calls["failed"], calls["old"], calls["other"]]}
    assert listed_ids(listing) == expected
