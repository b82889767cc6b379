"""The issue's demonstration as a test: a partner starts failing, within one evaluation
an alert opens, Slack and Sentry hear of it and the dashboard shows the partner red; the
fault goes away and the alert resolves."""

import contextlib
from datetime import timedelta
from io import StringIO

import pytest
import responses
from django.core.management import call_command

from monitoring.models import Alert
from partners.client import PartnerClient
from partners.errors import PartnerServerError
from tests.monitoring.conftest import SLACK_URL, slack_messages

BASE = "https://hsi.partner.test/api"
pytestmark = pytest.mark.usefixtures("catalogue")


def progress_calls(n: int) -> None:
    client = PartnerClient(partner="hsi", base_url=BASE, max_attempts=1, sleep=lambda s: None)
    for _ in range(n):
        with contextlib.suppress(PartnerServerError):  # the failures are the point
            client.get("enrollments/E-1/progress", operation="get_progress")


def evaluate() -> str:
    out = StringIO()
    call_command("evaluate_alerts", stdout=out)
    return out.getvalue()


def test_fault_opens_an_alert_everyone_hears_of_and_clearing_it_resolves(
    clock, admin_client, sentry_transport, settings
):
    settings.SLACK_WEBHOOK_URL = SLACK_URL
    settings.ADMINS = []
    settings.ALERT_VOUCHER_STOCK_MIN = 0  # the catalogue has no vouchers: not this story
    settings.PARTNER_BREAKER_FAIL_MAX = 50  # let every failure reach the partner

    with responses.RequestsMock() as mock:
        mock.add(responses.GET, f"{BASE}/enrollments/E-1/progress", status=500)
        mock.add(responses.POST, SLACK_URL, body="ok")
        progress_calls(12)
        clock.shift(timedelta(minutes=1))
        output = evaluate()

        assert "opened   partner_error_rate: HSI" in output
        [alert] = Alert.objects.filter(resolved_at=None)
        assert alert.rule == "partner_error_rate"
        assert "12 of 12 calls failed (100%)" in alert.message
        [slack] = slack_messages(mock)
        assert slack["blocks"][0]["text"]["text"].startswith("Critical: Partner error rate high")
        [event] = sentry_transport.events()
        assert (event["tags"]["partner"], event["tags"]["rule"]) == ("hsi", "partner_error_rate")
        page = admin_client.get("/admin/monitoring/dashboard/").content.decode()
        assert 'data-partner="hsi" data-health="red"' in page

    with responses.RequestsMock() as mock:
        mock.add(responses.GET, f"{BASE}/enrollments/E-1/progress", json={"progress": 40})
        mock.add(responses.POST, SLACK_URL, body="ok")
        clock.shift(timedelta(minutes=15))
        progress_calls(12)
        output = evaluate()

        assert "resolved partner_error_rate: HSI" in output
        alert.refresh_from_db()
        assert alert.resolved_at is not None
        [slack] = slack_messages(mock)
        assert slack["blocks"][0]["text"]["text"].startswith("Resolved: Partner error rate high")
        assert sentry_transport.events()[-1]["tags"]["alert_event"] == "resolved"
        page = admin_client.get("/admin/monitoring/dashboard/").content.decode()
        # The card covers the last hour, which still holds the failures: amber, not red.
        assert 'data-partner="hsi" data-health="amber"' in page
