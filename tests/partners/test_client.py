"""The HTTP client: retries, backoff, Retry-After, classification, logging, redaction,
and the breaker. No real sleeping: the client's sleep is recorded instead."""

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses
import time_machine

from monitoring.models import PartnerRequestLog
from partners.breakers import breaker_state
from partners.client import PartnerClient, parse_retry_after
from partners.config import PartnerConfigurationError
from partners.context import partner_call_context
from partners.errors import (
    PartnerAuthError,
    PartnerCircuitOpenError,
    PartnerError,
    PartnerInvalidResponseError,
    PartnerNotFoundError,
    PartnerPermanentError,
    PartnerRateLimitedError,
    PartnerRejectedError,
    PartnerServerError,
    PartnerTimeoutError,
    PartnerTransientError,
    PartnerUnavailableError,
    error_for_status,
)

BASE = "https://partner.test/api"
SECRET_KEY = "sk_live_abcdef123456"
SECRET = "very-secret-value-987"


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(sleeps, catalogue):
    return PartnerClient(
        partner="hsi",
        base_url=BASE,
        headers={"X-API-Key": SECRET_KEY, "X-Organization-Id": "org-1"},
        secrets=(SECRET_KEY, SECRET),
        max_attempts=3,
        sleep=sleeps.append,
    )


@responses.activate
def test_success_is_returned_and_logged(client):
    responses.get(f"{BASE}/ping", json={"ok": True})
    with partner_call_context(correlation_id="corr-1", enrollment_id=None):
        response = client.get("/ping", operation="ping")
    assert response.json() == {"ok": True}
    log = PartnerRequestLog.objects.get()
    assert (log.operation, log.method, log.status_code, log.outcome, log.attempt) == (
        "ping",
        "GET",
        200,
        "success",
        1,
    )
    assert log.correlation_id == "corr-1"
    assert responses.calls[0].request.headers["X-Request-Id"] == "corr-1"


@responses.activate
def test_server_errors_are_retried_with_exponential_backoff_and_jitter(client, sleeps):
    responses.get(f"{BASE}/p", status=503)
    responses.get(f"{BASE}/p", status=502)
    responses.get(f"{BASE}/p", json={"ok": 1})
    drawn = []

    def most_jitter(low, high):  # the largest jitter the range allows, every time
        drawn.append((low, high))
        return high

    client.backoff.rng = most_jitter
    assert client.get("/p", operation="get_progress").json() == {"ok": 1}
    assert len(responses.calls) == 3
    # 1 s then 2 s, each with up to 25 % jitter drawn on top (never none at all).
    assert drawn == [(0, 0.25), (0, 0.5)]
    assert sleeps == [1.25, 2.5]
    logs = list(
        PartnerRequestLog.objects.order_by("attempt").values_list(
            "attempt", "status_code", "outcome"
        )
    )
    assert logs == [(1, 503, "server_error"), (2, 502, "server_error"), (3, 200, "success")]


@responses.activate
def test_retries_stop_after_max_attempts(client, sleeps):
    responses.get(f"{BASE}/p", status=500)
    with pytest.raises(PartnerServerError) as caught:
        client.get("/p", operation="get_progress")
    assert len(responses.calls) == 3 and len(sleeps) == 2
    assert caught.value.status == 500 and caught.value.partner == "hsi"
    assert caught.value.operation == "get_progress"


@responses.activate
def test_a_caller_that_reschedules_gets_one_attempt_and_the_delay_to_wait(client, sleeps):
    """retry_in_call=False (provisioning): no sleep in the call, which would hold a worker
    slot; retry_delay() gives the same backoff for the caller's countdown."""
    responses.get(f"{BASE}/p", status=503)
    client.backoff.rng = lambda low, high: high
    with partner_call_context(retry_in_call=False), pytest.raises(PartnerTransientError) as caught:
        client.get("/p", operation="get_progress")
    assert len(responses.calls) == 1 and sleeps == []
    assert client.retry_delay(1, caught.value) == 1.25
    assert client.retry_delay(2, caught.value) == 2.5
    assert client.retry_delay(3, caught.value) is None  # max_attempts spent
    caught.value.retry_after = 7.0
    assert client.retry_delay(1, caught.value) == 7.0
    assert client.retry_delay(1, PartnerRejectedError("no", partner="hsi")) is None


@responses.activate
def test_timeouts_and_connection_errors_are_transient_and_retried(client):
    responses.get(f"{BASE}/p", body=requests.ReadTimeout("slow"))
    responses.get(f"{BASE}/p", body=requests.ConnectionError("refused"))
    responses.get(f"{BASE}/p", body=requests.ConnectTimeout("no route"))
    with pytest.raises(PartnerTimeoutError, match="could not connect"):
        client.get("/p", operation="get_progress")
    outcomes = list(
        PartnerRequestLog.objects.order_by("attempt").values_list("error_class", flat=True)
    )
    assert outcomes == ["PartnerTimeoutError", "PartnerUnavailableError", "PartnerTimeoutError"]
    assert set(PartnerRequestLog.objects.values_list("outcome", flat=True)) == {"transport_error"}


@responses.activate
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_4xx_are_never_retried(client, status, sleeps):
    responses.get(f"{BASE}/p", status=status, json={"error": "no"})
    with pytest.raises(PartnerPermanentError):
        client.get("/p", operation="get_progress")
    assert len(responses.calls) == 1 and sleeps == []


@responses.activate
def test_408_and_429_are_retried(client):
    responses.get(f"{BASE}/p", status=408)
    responses.get(f"{BASE}/p", status=429)
    responses.get(f"{BASE}/p", json={})
    client.get("/p", operation="get_progress")
    assert len(responses.calls) == 3


@responses.activate
def test_post_without_idempotency_key_is_never_retried(client):
    responses.post(f"{BASE}/sso", status=503)
    with pytest.raises(PartnerUnavailableError):
        client.post("/sso", operation="sso_launch_url", json={})
    assert len(responses.calls) == 1


@responses.activate
def test_post_with_idempotency_key_is_retried_with_the_same_key(client):
    responses.post(f"{BASE}/students", status=503)
    responses.post(f"{BASE}/students", status=201, json={"id": "S-1"})
    client.post("/students", operation="create_account", json={"a": 1}, idempotency_key="student-7")
    keys = [c.request.headers["Idempotency-Key"] for c in responses.calls]
    assert keys == ["student-7", "student-7"]


@responses.activate
def test_retry_after_seconds_is_honoured(client, sleeps):
    responses.get(f"{BASE}/p", status=429, headers={"Retry-After": "7"})
    responses.get(f"{BASE}/p", json={})
    client.get("/p", operation="get_progress")
    assert sleeps == [7.0]


@responses.activate
def test_retry_after_http_date_is_honoured(client, sleeps):
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC), tick=False):
        when = format_datetime(datetime(2026, 5, 1, 12, 0, 12, tzinfo=UTC), usegmt=True)
        responses.get(f"{BASE}/p", status=503, headers={"Retry-After": when})
        responses.get(f"{BASE}/p", json={})
        client.get("/p", operation="get_progress")
    assert sleeps == [12.0]


@responses.activate
def test_retry_after_beyond_the_cap_fails_at_once_carrying_the_wait(client, sleeps, settings):
    responses.get(f"{BASE}/p", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(PartnerRateLimitedError) as caught:
        client.get("/p", operation="get_progress")
    assert caught.value.retry_after == 3600
    assert len(responses.calls) == 1 and sleeps == []
    assert isinstance(caught.value, PartnerTransientError)


def test_parse_retry_after():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    )
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0
    )
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, PartnerRejectedError),
        (401, PartnerAuthError),
        (403, PartnerAuthError),
        (404, PartnerNotFoundError),
        (409, PartnerRejectedError),
        (422, PartnerRejectedError),
        (408, PartnerServerError),
        (429, PartnerRateLimitedError),
        (500, PartnerServerError),
        (502, PartnerServerError),
        (503, PartnerUnavailableError),
        (504, PartnerServerError),
    ],
)
def test_error_classification_table(status, error):
    assert error_for_status(status) is error
    family = (
        PartnerTransientError if status in (408, 429) or status >= 500 else PartnerPermanentError
    )
    assert issubclass(error, family)


def test_configuration_error_is_outside_the_partner_error_family():
    assert not issubclass(PartnerConfigurationError, PartnerError)


@responses.activate
def test_malformed_body_is_an_invalid_response(client):
    responses.get(f"{BASE}/p", body="<html>oops", content_type="application/json")
    with pytest.raises(PartnerInvalidResponseError, match="not valid JSON"):
        client.get("/p", operation="get_progress").json()


@responses.activate
def test_no_secret_ever_reaches_a_request_log(client):
    responses.post(
        f"{BASE}/members?api_key={SECRET_KEY}",
        status=201,
        json={
            "memberId": "M-1",
            "tempPassword": "Hunter2!x",
            "note": f"key {SECRET} echoed",
            "launch": "https://p.test/sso?token=tok-123&course=9",
        },
        headers={"Set-Cookie": "session=abc123", "X-Echo": SECRET},
    )
    client.post(
        f"/members?api_key={SECRET_KEY}",
        operation="create_account",
        idempotency_key="m-1",
        json={
            "email": "a@b.c",
            "password": "Secr3t!pw",
            "nested": {"apiSecret": SECRET, "token": "t0k"},
        },
    )
    log = PartnerRequestLog.objects.get()
    dump = json.dumps({f.name: getattr(log, f.name) for f in log._meta.fields}, default=str)
    for secret in (SECRET_KEY, SECRET, "Hunter2!x", "Secr3t!pw", "t0k", "abc123", "tok-123"):
        assert secret not in dump, secret
    assert json.loads(log.request_body)["email"] == "a@b.c"
    assert json.loads(log.response_body)["memberId"] == "M-1"
    assert log.request_headers["X-API-Key"] == "[REDACTED]"
    assert log.request_headers["Idempotency-Key"] == "m-1"


@responses.activate
def test_bodies_are_cut_to_the_limit(client, settings):
    responses.get(f"{BASE}/big", body="x" * 50_000)
    client.body_limit = 1000
    client.get("/big", operation="get_progress")
    body = PartnerRequestLog.objects.get().response_body
    assert len(body) < 1100 and "cut 49000 characters" in body


@responses.activate
def test_breaker_opens_refuses_without_sending_and_recovers(client, settings):
    settings.PARTNER_BREAKER_FAIL_MAX = 3
    settings.PARTNER_BREAKER_RESET_SECONDS = 60
    from partners.breakers import reset_breakers

    reset_breakers()
    client.max_attempts = 1
    responses.get(f"{BASE}/p", status=500)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(3):
            with pytest.raises(PartnerServerError):
                client.get("/p", operation="get_progress")
        assert breaker_state("hsi") == "open"

        with pytest.raises(PartnerCircuitOpenError):
            client.get("/p", operation="get_progress")
        assert len(responses.calls) == 3  # the refused call sent nothing
        refused = PartnerRequestLog.objects.filter(outcome="refused")
        assert refused.count() == 1 and refused.get().status_code is None

        clock.shift(61)
        assert breaker_state("hsi") == "half-open"
        responses.replace(responses.GET, f"{BASE}/p", json={"ok": True})
        client.get("/p", operation="get_progress")  # the probe succeeds
        assert breaker_state("hsi") == "closed"


@responses.activate
def test_failed_probe_opens_the_breaker_again(client, settings):
    settings.PARTNER_BREAKER_FAIL_MAX = 2
    from partners.breakers import reset_breakers

    reset_breakers()
    client.max_attempts = 1
    responses.get(f"{BASE}/p", status=502)
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        for _ in range(2):
            with pytest.raises(PartnerServerError):
                client.get("/p", operation="get_progress")
        clock.shift(settings.PARTNER_BREAKER_RESET_SECONDS + 1)
        with pytest.raises(PartnerServerError):
            client.get("/p", operation="get_progress")
        assert breaker_state("hsi") == "open"


@responses.activate
def test_permanent_errors_and_rate_limits_do_not_open_the_breaker(client, settings):
    settings.PARTNER_BREAKER_FAIL_MAX = 2
    from partners.breakers import reset_breakers

    reset_breakers()
    client.max_attempts = 1
    responses.get(f"{BASE}/p", status=404)
    responses.get(f"{BASE}/q", status=429, headers={"Retry-After": "9999"})
    for _ in range(4):
        with pytest.raises(PartnerNotFoundError):
            client.get("/p", operation="get_certificate")
        with pytest.raises(PartnerRateLimitedError):
            client.get("/q", operation="get_progress")
    assert breaker_state("hsi") == "closed"


def test_breaker_state_is_shared_through_redis(redis_url, settings):
    import redis

    from partners import breakers

    settings.REDIS_URL = redis_url
    settings.PARTNER_BREAKER_FAIL_MAX = 1
    for key in redis.Redis.from_url(redis_url).scan_iter("partnerhub:breaker:nds*"):
        redis.Redis.from_url(redis_url).delete(key)
    breakers.reset_breakers()
    breakers.breaker_for("nds").open()
    # A second process starts with no breaker objects of its own: it reads Redis.
    breakers._breakers.clear()
    assert breakers.breaker_state("nds") == "open"
    breakers.reset_breakers()
    breakers._breakers.clear()
    assert breakers.breaker_state("nds") == "closed"


@responses.activate
def test_a_failing_log_receiver_never_fails_the_call(client, monkeypatch, caplog):
    from monitoring import recorder

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    # The recorder writes the logs and their hourly counts in one transaction: the
    # counts failing leaves neither.
    monkeypatch.setattr(recorder, "add_to_rollups", broken)
    responses.get(f"{BASE}/p", json={"ok": True})
    assert client.get("/p", operation="get_progress").json() == {"ok": True}
    assert not PartnerRequestLog.objects.exists()
    # The recorder itself caught it (not only the client's guard below).
    [failed] = [r for r in caplog.records if r.name == "monitoring.recorder"]
    assert failed.getMessage() == "Could not log hsi get_progress"


@responses.activate
def test_any_failing_receiver_of_the_hook_never_fails_the_call(client, caplog):
    from partners.signals import partner_call_attempted

    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    partner_call_attempted.connect(broken, dispatch_uid="tests.broken")
    try:
        responses.get(f"{BASE}/p", json={"ok": True})
        assert client.get("/p", operation="get_progress").json() == {"ok": True}
    finally:
        partner_call_attempted.disconnect(dispatch_uid="tests.broken")
    assert any("receiver failed" in r.getMessage() for r in caplog.records)


# -- timeouts and attempts from the partner's settings, through the real adapter -------


@pytest.fixture
def hsi_adapter(settings, monkeypatch, catalogue):
    """HSI against a real (mocked) API, configured only through its environment."""
    from partners.registry import clear_adapters, get_adapter

    settings.PARTNER_SIMULATOR = False
    for name, value in {
        "MODE": "api",
        "API_BASE_URL": BASE,
        "API_KEY": SECRET_KEY,
        "API_SECRET": SECRET,
        "ORGANIZATION_ID": "org-1",
    }.items():
        monkeypatch.setenv(f"HSI_{name}", value)
    monkeypatch.delenv("HSI_TIMEOUT", raising=False)
    monkeypatch.delenv("HSI_MAX_RETRIES", raising=False)

    def adapter(sleeps):
        clear_adapters()
        built = get_adapter("hsi")
        built.client.sleep = sleeps.append
        return built

    yield adapter
    clear_adapters()


def progress_of(adapter):
    with pytest.raises(PartnerServerError):
        adapter.get_progress(external_enrollment_id="E-1")
    return [call.request.req_kwargs["timeout"] for call in responses.calls]


@responses.activate
def test_default_timeouts_and_attempts_reach_requests_and_the_retrier(hsi_adapter, sleeps):
    responses.get(f"{BASE}/api/v1/enrollments/E-1/progress", status=500)
    # Connect 5 s, read 30 s (docs/operations.md), 3 attempts in all.
    assert progress_of(hsi_adapter(sleeps)) == [(5.0, 30.0)] * 3
    assert len(sleeps) == 2


@responses.activate
def test_partner_timeout_and_max_retries_reach_requests_and_the_retrier(
    hsi_adapter, sleeps, monkeypatch
):
    monkeypatch.setenv("HSI_TIMEOUT", "12.5")
    monkeypatch.setenv("HSI_MAX_RETRIES", "2")
    responses.get(f"{BASE}/api/v1/enrollments/E-1/progress", status=500)
    # <SLUG>_TIMEOUT is the read timeout; the connect timeout stays 5 s.
    assert progress_of(hsi_adapter(sleeps)) == [(5.0, 12.5)] * 2
    assert len(sleeps) == 1


@responses.activate
def test_a_connect_timeout_is_reported_with_the_connect_limit(hsi_adapter, sleeps, monkeypatch):
    monkeypatch.setenv("HSI_MAX_RETRIES", "1")
    responses.get(
        f"{BASE}/api/v1/enrollments/E-1/progress", body=requests.ConnectTimeout("no route")
    )
    with pytest.raises(PartnerTimeoutError, match="could not connect within 5 s"):
        hsi_adapter(sleeps).get_progress(external_enrollment_id="E-1")
    assert len(responses.calls) == 1
