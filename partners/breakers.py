"""One circuit breaker per partner (pybreaker).

After `PARTNER_BREAKER_FAIL_MAX` transient failures in a row the breaker opens: calls are
refused without sending anything for `PARTNER_BREAKER_RESET_SECONDS`, then one probe is
let through (half-open); its success closes the breaker, its failure opens it again.
With REDIS_URL set the state lives in Redis, so every web and worker process agrees.
Permanent errors (4xx) and rate limiting say the partner is up: they do not count.

The call itself runs outside the breaker's lock (PartnerBreaker): pybreaker holds its lock
for the whole call, so the threads of one process (gunicorn's, a threaded worker's) could
call a partner only one at a time. Only the probe of a half-open breaker keeps the lock,
so a process sends one probe at a time, as pybreaker does.

With the state in Redis, a process reads it at most once a second (STATE_READ_SECONDS)
and otherwise uses the copy it last read or wrote: a breaker another process opened is
seen here within a second, and a call costs one Redis command (the count kept after it)
instead of three.

Redis going away must not stop partner calls: the breaker then keeps its state in this
process (a warning logged and `partnerhub_breaker_storage_fallbacks` counted once per
fallback, not per call) and tries Redis again every PARTNER_BREAKER_REDIS_RETRY_SECONDS,
going back to the shared state as soon as Redis answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pybreaker
from django.conf import settings

from partners.errors import PartnerRateLimitedError, PartnerTransientError
from partners.signals import breaker_storage_fell_back

logger = logging.getLogger(__name__)

# How long a process uses the shared state it last read or wrote before reading it again.
STATE_READ_SECONDS = 1.0

_breakers: dict[str, pybreaker.CircuitBreaker] = {}
_lock = threading.Lock()


def _not_an_outage(exc: BaseException) -> bool:
    return not isinstance(exc, PartnerTransientError) or isinstance(exc, PartnerRateLimitedError)


class _LogTransitions(pybreaker.CircuitBreakerListener):
    def state_change(self, cb, old_state, new_state) -> None:
        if getattr(old_state, "name", old_state) == getattr(new_state, "name", new_state):
            return
        logger.warning(
            "Circuit breaker for %s: %s -> %s",
            cb.name,
            getattr(old_state, "name", old_state),
            getattr(new_state, "name", new_state),
        )


class SharedBreakerStorage(pybreaker.CircuitBreakerStorage):
    """A breaker's state in Redis, shared by every process (the keys pybreaker's own
    CircuitRedisStorage uses), with a copy in this process that takes over while Redis
    cannot be reached. pybreaker's storage swallows Redis errors at every step and raises
    them when created; this one notices them, so it can fall back and come back."""

    def __init__(
        self,
        slug: str,
        redis_url: str,
        *,
        retry_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        import redis

        super().__init__("redis")
        self.slug = slug
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._redis_error = redis.RedisError
        self._prefix = f"partnerhub:breaker:{slug}:pybreaker:"
        self._state_read_at: float | None = None  # clock() when the shared state was read
        # Every write lands here too, so a fallback starts from what this process last saw.
        self.local = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        self.falling_back = False
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def _key(self, name: str) -> str:
        return self._prefix + name

    def _shared(self, in_redis: Callable[[Any], Any], in_memory: Callable[[], Any]) -> Any:
        """`in_redis(client)` while Redis answers; `in_memory()` while it does not."""
        if self.falling_back and self.clock() < self._retry_at:
            return in_memory()
        try:
            result = in_redis(self.redis)
        except self._redis_error as exc:
            self._fall_back(exc)
            return in_memory()
        if self.falling_back:
            with self._lock:
                if self.falling_back:
                    self.falling_back = False
                    logger.warning(
                        "Circuit breaker for %s: Redis answers again, state shared again",
                        self.slug,
                    )
        return result

    def _fall_back(self, exc: Exception) -> None:
        with self._lock:
            self._retry_at = self.clock() + self.retry_seconds
            if self.falling_back:
                return  # a retry that failed: the same fallback, already reported
            self.falling_back = True
        logger.warning(
            "Circuit breaker for %s: Redis is unreachable (%s: %s); using this process's "
            "own breaker state, trying Redis again every %g s",
            self.slug,
            type(exc).__name__,
            exc,
            self.retry_seconds,
        )
        breaker_storage_fell_back.send_robust(sender=SharedBreakerStorage, partner=self.slug)

    # -- pybreaker's storage interface ----------------------------------------------------

    @property
    def state(self) -> str:
        now = self.clock()
        if self._state_read_at is not None and now - self._state_read_at < STATE_READ_SECONDS:
            return self.local.state

        def read(client) -> str:
            value = client.get(self._key("state"))
            if value is None:  # first use, or the keys were removed: start closed
                client.setnx(self._key("fail_counter"), 0)
                client.setnx(self._key("success_counter"), 0)
                client.setnx(self._key("state"), pybreaker.STATE_CLOSED)
                return pybreaker.STATE_CLOSED
            return value.decode()

        state = self._shared(read, lambda: self.local.state)
        self.local.state = state
        self._state_read_at = None if self.falling_back else now
        return state

    @state.setter
    def state(self, state: str) -> None:
        self.local.state = state
        self._shared(lambda client: client.set(self._key("state"), str(state)), lambda: None)
        self._state_read_at = None if self.falling_back else self.clock()

    def increment_counter(self) -> None:
        self.local.increment_counter()
        self._shared(lambda client: client.incr(self._key("fail_counter")), lambda: None)

    def reset_counter(self) -> None:
        self.local.reset_counter()
        self._shared(lambda client: client.set(self._key("fail_counter"), 0), lambda: None)

    def increment_success_counter(self) -> None:
        self.local.increment_success_counter()
        self._shared(lambda client: client.incr(self._key("success_counter")), lambda: None)

    def reset_success_counter(self) -> None:
        self.local.reset_success_counter()
        self._shared(lambda client: client.set(self._key("success_counter"), 0), lambda: None)

    @property
    def counter(self) -> int:
        return self._shared(
            lambda client: int(client.get(self._key("fail_counter")) or 0),
            lambda: self.local.counter,
        )

    @property
    def success_counter(self) -> int:
        return self._shared(
            lambda client: int(client.get(self._key("success_counter")) or 0),
            lambda: self.local.success_counter,
        )

    @property
    def opened_at(self) -> datetime | None:
        def read(client) -> datetime | None:
            value = client.get(self._key("opened_at"))
            return datetime.fromtimestamp(int(value), UTC) if value else None

        return self._shared(read, lambda: self.local.opened_at)

    @opened_at.setter
    def opened_at(self, now: datetime) -> None:
        self.local.opened_at = now
        key, stamp = self._key("opened_at"), int(now.timestamp())

        def set_if_later(pipe) -> None:
            # Two processes opening at once keep the later time, as pybreaker does.
            current = pipe.get(key)
            pipe.multi()
            if not current or stamp > int(current):
                pipe.set(key, stamp)

        self._shared(lambda client: client.transaction(set_if_later, key), lambda: None)


class PartnerBreaker(pybreaker.CircuitBreaker):
    """pybreaker's breaker, with the guarded call made outside its lock.

    pybreaker's `call` holds the breaker's lock while the function runs (its issue #55), so
    one partner's calls from the threads of a process went one after another: 8 gunicorn
    threads opening courses for students, or 8 threaded worker slots, waited on each
    other's 100 ms partner calls. Here the lock covers reading the state before the call
    and counting the outcome after it; a closed breaker lets calls run side by side. The
    states' rules are pybreaker's own (its CircuitOpenState and CircuitHalfOpenState):
    an open breaker refuses until its wait is over, then the first caller half-opens it
    and sends the probe, holding the lock as pybreaker does, so the other threads of
    this process wait for the probe's outcome rather than all probing at once."""

    def call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            state = self.state
            if state.name != pybreaker.STATE_CLOSED:
                # Open (refused, or half-opened once the wait is over) or half-open: the
                # probe runs under the lock, by pybreaker's rules.
                return state.call(func, *args, **kwargs)
            for listener in self.listeners:
                listener.before_call(self, func, *args, **kwargs)
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            with self._lock:
                # The state now, which another thread may have changed meanwhile: a
                # failure counts (and may open a closed breaker). It raises the error
                # again (or CircuitBreakerError on opening); the bare raise is a backstop.
                self.state._handle_error(exc)
            raise
        with self._lock:
            self.state._handle_success()
        return result


def _storage(slug: str) -> pybreaker.CircuitBreakerStorage:
    if settings.REDIS_URL:
        return SharedBreakerStorage(
            slug, settings.REDIS_URL, retry_seconds=settings.PARTNER_BREAKER_REDIS_RETRY_SECONDS
        )
    return pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)


def breaker_for(slug: str) -> pybreaker.CircuitBreaker:
    with _lock:
        if slug not in _breakers:
            _breakers[slug] = PartnerBreaker(
                fail_max=settings.PARTNER_BREAKER_FAIL_MAX,
                reset_timeout=settings.PARTNER_BREAKER_RESET_SECONDS,
                exclude=[_not_an_outage],
                listeners=[_LogTransitions()],
                state_storage=_storage(slug),
                name=slug,
                throw_new_error_on_trip=False,
            )
        return _breakers[slug]


def breaker_state(slug: str) -> str:
    """'closed', 'open' or 'half-open'. An open breaker whose wait is over reads as
    half-open: the next call will be the probe."""
    breaker = breaker_for(slug)
    state = breaker.current_state
    if state == pybreaker.STATE_OPEN and breaker.state.name == pybreaker.STATE_OPEN:
        opened_at = breaker._state_storage.opened_at
        if opened_at is not None:
            from datetime import UTC, datetime, timedelta

            if datetime.now(UTC) >= opened_at + timedelta(seconds=breaker.reset_timeout):
                return pybreaker.STATE_HALF_OPEN
    return state


def reset_breakers() -> None:
    """Close every breaker and forget them (tests; an operator after a fixed outage)."""
    with _lock:
        for breaker in _breakers.values():
            breaker.close()
        _breakers.clear()
