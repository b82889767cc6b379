"""REDIS_URL set but Redis unreachable: partner calls go on with a per-process breaker,
reported once (a warning and a metric), and the shared state comes back with Redis."""

import logging
import socket

import pybreaker
import pytest
import redis
import responses
from prometheus_client import REGISTRY

from monitoring.models import PartnerRequestLog
from partners import breakers
from partners.breakers import SharedBreakerStorage, breaker_for, breaker_state
from partners.client import PartnerClient
from partners.errors import PartnerCircuitOpenError, PartnerServerError

BASE = "https://partner.test/api"


def fallbacks(partner: str) -> float:
    value = REGISTRY.get_sample_value(
        "partnerhub_breaker_storage_fallbacks_total", {"partner": partner}
    )
    return value or 0.0


@pytest.fixture
def closed_port_url() -> str:
    """A Redis URL nothing listens on: the port was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def redis_down(settings, closed_port_url):
    settings.REDIS_URL = closed_port_url
    breakers.reset_breakers()
    yield closed_port_url
    breakers.reset_breakers()


@pytest.fixture
def client(catalogue):
    return PartnerClient(partner="hsi", base_url=BASE, max_attempts=1, sleep=lambda s: None)


def redis_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "partners.breakers" and "Redis is unreachable" in r.getMessage()
    ]


@responses.activate
def test_calls_go_on_logged_with_one_warning_and_one_count(redis_down, client, caplog):
    responses.get(f"{BASE}/p", json={"ok": True})
    before = fallbacks("hsi")
    with caplog.at_level(logging.WARNING, logger="partners.breakers"):
        for _ in range(3):
            assert client.get("/p", operation="get_progress").json() == {"ok": True}
    assert PartnerRequestLog.objects.filter(outcome="success").count() == 3
    assert fallbacks("hsi") == before + 1  # once per fallback, not per call
    assert len(redis_warnings(caplog)) == 1
    assert breaker_state("hsi") == "closed"


@responses.activate
def test_the_per_process_breaker_still_opens(redis_down, client, settings):
    settings.PARTNER_BREAKER_FAIL_MAX = 2
    breakers.reset_breakers()
    responses.get(f"{BASE}/p", status=500)
    for _ in range(2):
        with pytest.raises(PartnerServerError):
            client.get("/p", operation="get_progress")
    with pytest.raises(PartnerCircuitOpenError):
        client.get("/p", operation="get_progress")
    assert len(responses.calls) == 2
    assert breaker_state("hsi") == "open"


class Unreachable:
    """A Redis client whose every command fails as a refused connection, counted."""

    def __init__(self):
        self.commands = 0

    def __getattr__(self, name):
        def command(*args, **kwargs):
            self.commands += 1
            raise redis.ConnectionError("Connection refused")

        return command


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_redis_is_tried_again_only_after_the_retry_interval(closed_port_url, caplog):
    clock = Clock()
    storage = SharedBreakerStorage("nrf", closed_port_url, retry_seconds=30, clock=clock)
    storage.redis = down = Unreachable()
    before = fallbacks("nrf")
    with caplog.at_level(logging.WARNING, logger="partners.breakers"):
        storage.increment_counter()
        assert storage.falling_back and down.commands == 1
        for _ in range(5):
            storage.increment_counter()
        assert storage.counter == 6 and storage.state == pybreaker.STATE_CLOSED
        assert down.commands == 1  # within the interval, Redis is left alone
        clock.now += 31
        assert storage.counter == 6  # one try, refused again: still this process's state
        assert down.commands == 2
    assert fallbacks("nrf") == before + 1 and len(redis_warnings(caplog)) == 1


def test_shared_state_comes_back_with_redis(redis_url, closed_port_url, settings):
    shared = redis.Redis.from_url(redis_url)
    for key in shared.scan_iter("partnerhub:breaker:jri:*"):
        shared.delete(key)
    clock = Clock()
    storage = SharedBreakerStorage("jri", closed_port_url, retry_seconds=30, clock=clock)
    assert storage.state == pybreaker.STATE_CLOSED and storage.falling_back

    storage.redis = redis.Redis.from_url(redis_url)  # Redis is back
    storage.state = pybreaker.STATE_OPEN  # within the interval: this process only
    assert shared.get("partnerhub:breaker:jri:pybreaker:state") is None
    clock.now += 31
    storage.state = pybreaker.STATE_OPEN
    assert not storage.falling_back
    assert shared.get("partnerhub:breaker:jri:pybreaker:state") == b"open"

    # Another process (a breaker of its own, the same Redis) sees it.
    settings.REDIS_URL = redis_url
    breakers.reset_breakers()
    shared.set("partnerhub:breaker:jri:pybreaker:state", b"open")
    assert breaker_for("jri").current_state == pybreaker.STATE_OPEN
    shared.set("partnerhub:breaker:jri:pybreaker:state", b"closed")
    breakers.reset_breakers()


def test_the_shared_state_is_read_at_most_once_a_second(redis_url):
    # A call reads the breaker's state first: from Redis once a second, from this
    # process's copy in between, so another process's change shows within the second.
    shared = redis.Redis.from_url(redis_url)
    for key in shared.scan_iter("partnerhub:breaker:milady:*"):
        shared.delete(key)
    clock = Clock()
    storage = SharedBreakerStorage("milady", redis_url, retry_seconds=30, clock=clock)
    assert storage.state == pybreaker.STATE_CLOSED
    shared.set("partnerhub:breaker:milady:pybreaker:state", b"open")  # another process
    clock.now += 0.5
    assert storage.state == pybreaker.STATE_CLOSED  # the copy read half a second ago
    clock.now += 0.6
    assert storage.state == pybreaker.STATE_OPEN
    storage.state = pybreaker.STATE_CLOSED  # this process's own change: seen at once
    assert storage.state == pybreaker.STATE_CLOSED
    assert shared.get("partnerhub:breaker:milady:pybreaker:state") == b"closed"
