"""Rate limits per API token."""

from __future__ import annotations

import hashlib

from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView


class TokenRateThrottle(UserRateThrottle):
    """API_THROTTLE_RATE per token; per user for session logins, per IP for anonymous.

    The cache key holds a hash of the token, never the token itself: the cache (Redis
    when configured) is not a place for credentials.
    """

    scope = "user"

    def get_rate(self) -> str | None:
        # Read the rate at request time rather than at import (DRF's default), so a
        # changed setting (an operator's, or a test's override) applies at once.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, Token):
            ident = "token:" + hashlib.sha256(request.auth.key.encode()).hexdigest()[:32]
            return self.cache_format % {"scope": self.scope, "ident": ident}
        return super().get_cache_key(request, view)
