"""/metrics: counters follow real partner calls, add up across processes, and only the
allow-list or the token may read them."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import responses
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from enrollments.models import EnrollmentStatus
from monitoring.metrics import exposition
from partners.breakers import breaker_for
from partners.client import PartnerClient
from partners.errors import PartnerServerError
from partners.models import PartnerCourse
from partners.signals import CallRecord, partner_call_attempted
from tests.factories import make_delivery, make_enrollment, make_event

ROOT = Path(__file__).resolve().parents[2]


def calls(partner: str, operation: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "partnerhub_partner_calls_total",
        {"partner": partner, "operation": operation, "outcome": outcome},
    )
    return value or 0.0


def timed(partner: str, operation: str) -> float:
    value = REGISTRY.get_sample_value(
        "partnerhub_partner_call_duration_seconds_count",
        {"partner": partner, "operation": operation},
    )
    return value or 0.0


def samples(body: bytes) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} from an exposition body."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def test_the_signal_counts_attempts_and_times_only_those_sent(catalogue):
    before = (calls("hsi", "get_progress", "success"), timed("hsi", "get_progress"))
    refused_before = calls("hsi", "get_progress", "refused")
    for outcome, duration in (("success", 250), ("refused", 0)):
        partner_call_attempted.send(
            sender=None,
            record=CallRecord(
                partner="hsi",
                operation="get_progress",
                method="GET",
                url="https://hsi.partner.test/progress",
                outcome=outcome,
                duration_ms=duration,
                attempt=1,
            ),
        )
    assert calls("hsi", "get_progress", "success") == before[0] + 1
    assert calls("hsi", "get_progress", "refused") == refused_before + 1
    assert timed("hsi", "get_progress") == before[1] + 1  # the refused call is not timed


@responses.activate
def test_real_partner_calls_are_counted_with_their_outcome(catalogue):
    url = "https://careersafe.partner.test/api/enrollments"
    responses.add(responses.POST, url, status=503)
    responses.add(responses.POST, url, status=503)
    responses.add(responses.POST, url, json={"id": "E-1"}, status=201)
    client = PartnerClient(
        partner="careersafe", base_url="https://careersafe.partner.test/api", sleep=lambda s: None
    )
    errors_before = calls("careersafe", "enroll", "server_error")
    ok_before = calls("careersafe", "enroll", "success")
    timed_before = timed("careersafe", "enroll")

    client.post("enrollments", operation="enroll", json={"x": 1}, idempotency_key="k-1")

    assert calls("careersafe", "enroll", "server_error") == errors_before + 2
    assert calls("careersafe", "enroll", "success") == ok_before + 1
    assert timed("careersafe", "enroll") == timed_before + 3


@responses.activate
def test_a_failed_call_is_counted_and_logged(catalogue):
    from monitoring.models import PartnerRequestLog

    responses.add(responses.GET, "https://nds.partner.test/status", status=500)
    client = PartnerClient(
        partner="nds", base_url="https://nds.partner.test", max_attempts=1, sleep=lambda s: None
    )
    before = calls("nds", "get_progress", "server_error")
    with pytest.raises(PartnerServerError):
        client.get("status", operation="get_progress")
    assert calls("nds", "get_progress", "server_error") == before + 1
    assert PartnerRequestLog.objects.filter(partner__slug="nds", status_code=500).count() == 1


def test_scrape_time_gauges_read_the_database_and_breakers(catalogue, client):
    course = PartnerCourse.objects.filter(partner__slug="milady").first()
    make_enrollment(course=course)
    make_enrollment(course=course, status=EnrollmentStatus.ACTIVE)
    make_enrollment(course=course, status=EnrollmentStatus.ACTIVE)
    make_delivery(partner=course.partner, verdict="bad_signature", response_status=400, event=None)
    make_event(partner=course.partner, status="failed")
    breaker_for("milady").open()

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    values = samples(response.content)
    assert values[("partnerhub_enrollments", (("partner", "milady"), ("status", "active")))] == 2
    assert values[("partnerhub_enrollments", (("partner", "milady"), ("status", "requested")))] == 1
    key = (
        "partnerhub_webhook_deliveries_last_hour",
        (("partner", "milady"), ("verdict", "bad_signature")),
    )
    assert values[key] == 1
    assert values[("partnerhub_webhook_events", (("partner", "milady"), ("status", "failed")))] == 1
    assert (
        values[("partnerhub_partner_breaker_state", (("partner", "milady"), ("state", "open")))]
        == 1
    )
    assert (
        values[("partnerhub_partner_breaker_state", (("partner", "hsi"), ("state", "closed")))] == 1
    )
    assert (
        values[("partnerhub_partner_breaker_state", (("partner", "hsi"), ("state", "open")))] == 0
    )
    assert any(name == "partnerhub_partner_calls_total" for name, _ in values)


@pytest.mark.parametrize(
    ("allowed", "remote", "header", "status"),
    [
        (["127.0.0.1", "::1"], "127.0.0.1", "", 200),
        (["127.0.0.1", "::1"], "203.0.113.9", "", 403),
        (["10.0.0.0/8"], "10.4.5.6", "", 200),
        ([], "127.0.0.1", "", 403),
        ([], "203.0.113.9", "Bearer s3cret-token", 200),
        ([], "203.0.113.9", "Bearer wrong", 403),
        ([], "203.0.113.9", "Token s3cret-token", 403),
    ],
)
def test_metrics_access(db, client, settings, allowed, remote, header, status):
    settings.METRICS_ALLOWED_IPS = allowed
    settings.METRICS_TOKEN = "s3cret-token"
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", REMOTE_ADDR=remote, **extra)
    assert response.status_code == status


def test_no_token_configured_never_matches_an_empty_bearer(db, client, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


WORKER = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from partners.signals import CallRecord, partner_call_attempted
    # Only the metrics receiver: this process has no test database to log into.
    partner_call_attempted.disconnect(dispatch_uid="monitoring.request_log")
    for _ in range(int(sys.argv[1])):
        partner_call_attempted.send(sender=None, record=CallRecord(
            partner="hsi", operation="enroll", method="POST", url="u",
            outcome=sys.argv[2], duration_ms=1500, attempt=1))
    """
)


def test_counters_add_up_across_processes(tmp_path):
    """Two worker processes (as gunicorn or Celery would run them) record calls; the
    scrape sees the sum, because each process wrote to the shared folder."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, n, outcome], cwd=ROOT, env=env)
        for n, outcome in (("3", "success"), ("4", "success"), ("2", "server_error"))
    ]
    assert [w.wait(timeout=60) for w in workers] == [0, 0, 0]

    values = samples(exposition(multiprocess_path=str(tmp_path), scrape_time=False))

    ok = (("operation", "enroll"), ("outcome", "success"), ("partner", "hsi"))
    failed = (("operation", "enroll"), ("outcome", "server_error"), ("partner", "hsi"))
    assert values[("partnerhub_partner_calls_total", ok)] == 7
    assert values[("partnerhub_partner_calls_total", failed)] == 2
    timing = (("operation", "enroll"), ("partner", "hsi"))
    assert values[("partnerhub_partner_call_duration_seconds_count", timing)] == 9
    assert (
        values[("partnerhub_partner_call_duration_seconds_bucket", (("le", "1.0"), *timing))] == 0
    )
    assert (
        values[("partnerhub_partner_call_duration_seconds_bucket", (("le", "2.5"), *timing))] == 9
    )


def test_the_worker_exporter_serves_the_shared_counters_to_allowed_clients(
    tmp_path, settings, monkeypatch
):
    from monitoring.management.commands.serve_metrics import metrics_app

    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    settings.METRICS_TOKEN = "t0ken"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    worker = subprocess.run([sys.executable, "-c", WORKER, "2", "success"], cwd=ROOT, env=env)
    assert worker.returncode == 0

    def get(**environ) -> tuple[str, bytes]:
        answer = {}
        body = metrics_app(environ, lambda status, headers: answer.update(status=status))
        return answer["status"], b"".join(body)

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    status, body = get(REMOTE_ADDR="127.0.0.1")
    assert status == "200 OK"
    ok = (("operation", "enroll"), ("outcome", "success"), ("partner", "hsi"))
    assert samples(body)[("partnerhub_partner_calls_total", ok)] == 2
    assert b"partnerhub_enrollments" not in body  # left to the web app's /metrics
    assert get(REMOTE_ADDR="198.51.100.7")[0] == "403 Forbidden"
    assert get(REMOTE_ADDR="198.51.100.7", HTTP_AUTHORIZATION="Bearer t0ken")[0] == "200 OK"
