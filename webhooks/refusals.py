"""Refused webhook deliveries, counted per partner so strangers cannot fill the table.

A delivery whose signature was not proven (bad, missing or stale signature, a body over
the limit, another method, an unknown partner, our secrets not configured) is counted in
the Django cache (Redis when REDIS_URL is set, else per process), per partner and per
fixed window of WEBHOOK_REFUSAL_WINDOW_SECONDS. The first WEBHOOK_REFUSAL_LIMIT of a
window are stored as usual; the next one is stored as a single `rate_limited` row; the
rest of the window are answered 429 and only counted. Unknown slugs share one count:
anyone can make up as many slugs as they like.

Only refusals are counted, after verification: a correctly signed delivery never reaches
this module, so it costs valid deliveries nothing and none is refused for volume.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

UNKNOWN_PARTNER_BUCKET = "?"


@dataclass(frozen=True)
class RefusalCount:
    """Where this refusal stands in its partner's window."""

    count: int
    limit: int
    retry_after: int  # seconds until the window ends

    @property
    def limited(self) -> bool:
        return self.count > self.limit

    @property
    def first_limited(self) -> bool:
        """The one refusal of the window stored as the `rate_limited` row."""
        return self.count == self.limit + 1


def refusal_count(partner_slug: str | None, *, now: float | None = None) -> RefusalCount | None:
    """Count one refusal for the partner (None: an unknown slug). None when the cache is
    unavailable: the refusal is then stored as it always was, never lost to a cache
    outage."""
    window = max(1, settings.WEBHOOK_REFUSAL_WINDOW_SECONDS)
    now = time.time() if now is None else now
    index = int(now // window)
    key = f"webhooks:refusals:{partner_slug or UNKNOWN_PARTNER_BUCKET}:{window}:{index}"
    try:
        if cache.add(key, 1, timeout=window + 60):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between the two calls
                cache.add(key, 1, timeout=window + 60)
                count = 1
    except Exception:
        logger.warning("Webhook refusals cannot be counted (cache unavailable)", exc_info=True)
        return None
    retry_after = max(1, math.ceil((index + 1) * window - now))
    return RefusalCount(
        count=count, limit=max(0, settings.WEBHOOK_REFUSAL_LIMIT), retry_after=retry_after
    )
