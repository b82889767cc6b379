"""One circuit breaker per partner (pybreaker).

After `PARTNER_BREAKER_FAIL_MAX` transient failures in a row the breaker opens: calls are
refused without sending anything for `PARTNER_BREAKER_RESET_SECONDS`, then one probe is
let through (half-open); its success closes the breaker, its failure opens it again.
With REDIS_URL set the state lives in Redis, so every web and worker process agrees.
Permanent errors (4xx) and rate limiting say the partner is up: they do not count.
"""

from __future__ import annotations

import logging
import threading

import pybreaker
from django.conf import settings

from partners.errors import PartnerRateLimitedError, PartnerTransientError

logger = logging.getLogger(__name__)

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


def _storage(slug: str) -> pybreaker.CircuitBreakerStorage:
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
        return pybreaker.CircuitRedisStorage(
            pybreaker.STATE_CLOSED, client, namespace=f"partnerhub:breaker:{slug}"
        )
    return pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)


def breaker_for(slug: str) -> pybreaker.CircuitBreaker:
    with _lock:
        if slug not in _breakers:
            _breakers[slug] = pybreaker.CircuitBreaker(
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
