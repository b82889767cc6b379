"""Old request logs and webhook deliveries are deleted in batches; recent ones stay. The
dashboard's hourly call counts are kept longer, then deleted too."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from monitoring.models import PartnerCallHour, PartnerRequestLog
from monitoring.retention import prune_old_records
from monitoring.tasks import prune_logs
from tests.factories import make_delivery, make_event, partner
from tests.monitoring.conftest import log_calls
from webhooks.models import WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.fixture
def history(clock):
    """5 logs and 2 deliveries 31 days old, 3 logs and 1 delivery 29 days old, at T0+40d."""
    hsi = partner("hsi")
    log_calls("hsi", 5, operation="old")
    event = make_event(partner=hsi)
    for _ in range(2):
        make_delivery(partner=hsi, event=event)
    clock.shift(timedelta(days=2))
    log_calls("hsi", 3, operation="kept")
    make_delivery(partner=hsi, event=None, webhook_id="kept")
    clock.shift(timedelta(days=29))
    return event


def test_prune_deletes_only_what_is_older_than_the_retention(history, settings):
    settings.MONITORING_RETENTION_DAYS = 30

    result = prune_old_records(batch_size=2)

    assert result == {"request_logs": 5, "webhook_deliveries": 2, "call_hours": 0}
    # The logs' hourly counts outlive the logs: the dashboard's long charts read them.
    assert PartnerCallHour.objects.filter(hour__lt=timezone.now() - timedelta(days=30)).exists()
    assert set(PartnerRequestLog.objects.values_list("operation", flat=True)) == {"kept"}
    assert list(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == ["kept"]
    assert WebhookEvent.objects.filter(pk=history.pk).exists()  # events are the record


def test_prune_works_in_batches(history, settings, django_assert_max_num_queries):
    settings.MONITORING_RETENTION_DAYS = 30
    # 5 old logs in batches of 2: three selects and three deletes, plus the empty select.
    with django_assert_max_num_queries(20) as queries:
        prune_old_records(batch_size=2)
    deletes = [q for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    log_deletes = [q for q in deletes if "partnerrequestlog" in q["sql"]]
    assert len(log_deletes) == 3


def test_the_command_and_the_task(history, settings):
    settings.MONITORING_RETENTION_DAYS = 90
    assert prune_logs() == {"request_logs": 0, "webhook_deliveries": 0, "call_hours": 0}

    out = StringIO()
    call_command("prune_logs", "--days", "30", "--batch-size", "100", stdout=out)
    assert out.getvalue().strip() == (
        "Deleted 5 request logs, 2 webhook deliveries and 0 hourly call counts."
    )

    with pytest.raises(CommandError, match="at least one day"):
        call_command("prune_logs", "--days", "0")


def test_hourly_counts_go_after_their_own_retention(settings):
    settings.MONITORING_RETENTION_DAYS = 30
    settings.MONITORING_ROLLUP_RETENTION_DAYS = 400
    hsi = partner("hsi")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    for days in (401, 399, 29):
        PartnerCallHour.objects.create(partner=hsi, hour=hour - timedelta(days=days), calls=2)

    assert prune_old_records()["call_hours"] == 1
    kept = sorted((hour - h).days for h in PartnerCallHour.objects.values_list("hour", flat=True))
    assert kept == [29, 399]

    # Never sooner than the logs they count (30 days here), whatever the setting says.
    settings.MONITORING_ROLLUP_RETENTION_DAYS = 1
    assert prune_old_records()["call_hours"] == 1
    assert [(hour - h).days for h in PartnerCallHour.objects.values_list("hour", flat=True)] == [29]


def test_the_schedule_runs_both_jobs(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"monitoring.tasks.evaluate_alerts", "monitoring.tasks.prune_logs"} <= tasks
