"""Request logs and alerts in the admin: filters, search, readable bodies, no full count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.admin import CappedCountPaginator
from monitoring.admin_filters import distinct_operations
from monitoring.models import CallOutcome, PartnerRequestLog
from tests.factories import make_alert, make_enrollment, make_request_log, partner
from tests.monitoring.conftest import log_calls

LOGS = "/admin/monitoring/partnerrequestlog/"
ALERTS = "/admin/monitoring/alert/"
pytestmark = pytest.mark.usefixtures("catalogue")


def listed(response) -> list[PartnerRequestLog]:
    return list(response.context["cl"].result_list)


def test_operation_choices_come_without_select_distinct(admin_client):
    for operation in ("enroll", "get_progress", "create_account", "enroll"):
        make_request_log(operation=operation, enrollment=None)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(LOGS)

    assert distinct_operations() == ["create_account", "enroll", "get_progress"]
    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"].upper()]
    choices = [
        c["display"] for c in response.context["cl"].filter_specs[2].choices(response.context["cl"])
    ]
    assert choices == ["All", "create_account", "enroll", "get_progress"]
    assert {log.operation for log in listed(admin_client.get(LOGS, {"operation": "enroll"}))} == {
        "enroll"
    }


@pytest.mark.parametrize(
    ("status", "expected"),
    [("2xx", {200}), ("3xx", {302}), ("4xx", {404}), ("5xx", {503}), ("none", {None})],
)
def test_status_class_filter(admin_client, status, expected):
    log_calls("hsi", 1, CallOutcome.SUCCESS)
    log_calls("hsi", 1, CallOutcome.SUCCESS, status_code=302)
    log_calls("hsi", 1, CallOutcome.CLIENT_ERROR)
    log_calls("hsi", 1, CallOutcome.SERVER_ERROR)
    log_calls("hsi", 1, CallOutcome.TRANSPORT_ERROR, status_code=None)
    response = admin_client.get(LOGS, {"status": status})
    assert {log.status_code for log in listed(response)} == expected


def test_time_filter(admin_client, clock):
    log_calls("hsi", 1, operation="old")
    clock.shift(timedelta(hours=2))
    log_calls("hsi", 1, operation="recent")
    assert [log.operation for log in listed(admin_client.get(LOGS, {"since": "1h"}))] == ["recent"]
    assert len(listed(admin_client.get(LOGS, {"since": "24h"}))) == 2


def test_search_by_correlation_id_and_enrollment_id(admin_client):
    enrollment = make_enrollment()
    wanted = make_request_log(correlation_id="c0ffee", enrollment=None)
    by_enrollment = make_request_log(enrollment=enrollment)
    make_request_log(correlation_id="other", enrollment=None)

    assert listed(admin_client.get(LOGS, {"q": "c0ffee"})) == [wanted]
    assert listed(admin_client.get(LOGS, {"q": str(enrollment.pk)})) == [by_enrollment]


def test_bodies_are_shown_pretty_printed(admin_client):
    log = make_request_log(
        enrollment=None,
        request_headers={"X-API-Key": "[redacted]", "Content-Type": "application/json"},
        request_body='{"student": {"email": "a@example.org"}, "password": "[redacted]"}',
        response_body="<html>not json & cut off",
    )
    html = admin_client.get(f"{LOGS}{log.pk}/change/").content.decode()
    assert "{\n  &quot;student&quot;: {\n    &quot;email&quot;: &quot;a@example.org&quot;" in html
    assert "&quot;X-API-Key&quot;: &quot;[redacted]&quot;" in html
    assert "&lt;html&gt;not json &amp; cut off" in html  # not JSON: shown as it is, escaped
    assert html.count("<pre") >= 4


def test_the_list_never_counts_the_whole_table(admin_client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "cap", 5)
    log_calls("hsi", 7)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(LOGS)
    assert "More than 5 partner request logs" in response.content.decode()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 6" in sql for sql in counts), counts

    response = admin_client.get(LOGS, {"since": "1h", "status": "5xx"})
    assert "0 partner request logs" in response.content.decode()


def test_alert_state_filter(admin_client):
    open_alert = make_alert(partner=partner("hsi"), rule="partner_latency", resolved_at=None)
    resolved = make_alert(partner=partner("hsi"), rule="partner_latency")
    assert list(admin_client.get(ALERTS, {"state": "open"}).context["cl"].result_list) == [
        open_alert
    ]
    assert list(admin_client.get(ALERTS, {"state": "resolved"}).context["cl"].result_list) == [
        resolved
    ]
    page = admin_client.get(f"{ALERTS}{open_alert.pk}/change/")
    assert page.status_code == 200
