"""The breaker and threads: calls through a closed breaker run side by side (pybreaker
itself holds its lock for the whole call, so the threads of one process used to call a
partner one at a time); counting, opening and the half-open probe keep their rules."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pybreaker
import pytest
import time_machine

from partners.breakers import breaker_for, breaker_state, reset_breakers
from partners.errors import PartnerServerError


@pytest.fixture
def breaker(settings):
    settings.REDIS_URL = ""
    settings.PARTNER_BREAKER_FAIL_MAX = 3
    settings.PARTNER_BREAKER_RESET_SECONDS = 60
    reset_breakers()
    yield breaker_for("hsi")
    reset_breakers()


def test_calls_through_a_closed_breaker_run_at_the_same_time(breaker):
    # Each call waits until all four are inside it: only possible if none holds the
    # breaker while it runs (with pybreaker's own call the barrier breaks).
    inside = threading.Barrier(4, timeout=5)

    def call(_):
        return breaker.call(lambda: inside.wait() is not None)

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(call, range(4))) == [True] * 4
    assert breaker_state("hsi") == "closed"


def test_concurrent_failures_are_all_counted_and_open_the_breaker(breaker):
    inside = threading.Barrier(3, timeout=5)

    def fail(_):
        inside.wait()
        raise PartnerServerError("500", partner="hsi", operation="get_progress")

    def call(n):
        with pytest.raises(PartnerServerError):
            breaker.call(fail, n)

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(call, range(3)))
    assert breaker_state("hsi") == "open"
    with pytest.raises(pybreaker.CircuitBreakerError):
        breaker.call(lambda: "not sent")


def test_a_success_resets_the_count_of_failures(breaker):
    def fail():
        raise PartnerServerError("500", partner="hsi", operation="get_progress")

    for _ in range(2):
        with pytest.raises(PartnerServerError):
            breaker.call(fail)
    assert breaker.call(lambda: "ok") == "ok"
    for _ in range(2):
        with pytest.raises(PartnerServerError):
            breaker.call(fail)
    assert breaker_state("hsi") == "closed"  # 2 in a row, not 4


def test_the_half_open_probe_goes_alone_and_its_success_closes(breaker):
    def fail():
        raise PartnerServerError("500", partner="hsi", operation="get_progress")

    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        for _ in range(3):
            with pytest.raises(PartnerServerError):
                breaker.call(fail)
        clock.shift(61)
        assert breaker_state("hsi") == "half-open"

        probing, release = threading.Event(), threading.Event()
        running = []

        def probe():
            running.append("probe")
            probing.set()
            assert release.wait(5)
            return "probe"

        def other():
            running.append("other")
            return "other"

        with ThreadPoolExecutor(max_workers=2) as pool:
            first = pool.submit(breaker.call, probe)
            assert probing.wait(5)
            second = pool.submit(breaker.call, other)
            # The second caller waits for the probe's outcome instead of probing too.
            with pytest.raises(TimeoutError):
                second.result(timeout=0.3)
            release.set()
            assert first.result(timeout=5) == "probe"
            assert second.result(timeout=5) == "other"
        assert running == ["probe", "other"]
        assert breaker_state("hsi") == "closed"
