"""Rate limits per API token."""

from __future__ import annotations

import hashlib
import logging
import time

from redis.exceptions import RedisError
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

logger = logging.getLogger(__name__)

# At most one warning this often while the cache is down, not one per request.
WARN_EVERY_SECONDS = 60


class TokenRateThrottle(UserRateThrottle):
    """API_THROTTLE_RATE per token; per user for session logins, per IP for anonymous.

    The cache key holds a hash of the token, never the token itself: the cache (Redis
    when configured) is not a place for credentials.
    """

    scope = "user"
    _warned_at = 0.0

    def allow_request(self, request: Request, view: APIView) -> bool:
        """A cache that cannot be reached lets the request through: the rate limit
        protects the API, it must not take it down (Redis is shared by every web node)."""
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as exc:
            now = time.monotonic()
            if now - TokenRateThrottle._warned_at > WARN_EVERY_SECONDS:
                TokenRateThrottle._warned_at = now
                logger.warning("API rate limit not applied: the cache is unreachable (%s)", exc)
            return True

    def get_rate(self) -> str | None:
        # Read the rate at request time rather than at import (DRF's default), so a
        # changed setting (an operator's, or a test's override) applies at once.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, Token):
            ident = "token:" + hashlib.sha256(request.auth.key.encode()).hexdigest()[:32]
            return self.cache_format % {"scope": self.scope, "ident": ident}
        return super().get_cache_key(request, view)
