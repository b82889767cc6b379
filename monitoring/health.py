"""/health/ (readiness) and /health/live/ (liveness).

Readiness runs django-health-check's database and cache checks, plus a broker check when
CELERY_BROKER_URL is set, concurrently and each under a timeout; any failure answers 503
so a load balancer stops sending traffic. Each partner's state (mode, breaker, open
alerts) is reported in the body but never fails the check: a partner outage is not a
reason to take this service out of rotation.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
from collections.abc import Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (workers may still be busy or down; the
    reconcile job re-drives anything they miss)."""

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )

    def run(self) -> None:
        from kombu import Connection

        seconds = self.timeout.total_seconds()
        try:
            # The URL from settings, through kombu alone: the Celery app's own transport
            # setting is "memory" while tasks run in-process.
            with Connection(settings.CELERY_BROKER_URL, connect_timeout=seconds) as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=seconds)
                # Transports connect lazily: opening a channel is what talks to the broker
                # (a PING for Redis, a channel open for AMQP).
                connection.channel().close()
        except Exception as exc:
            raise ServiceUnavailable(f"broker unreachable ({type(exc).__name__})") from exc


def partner_states() -> list[dict]:
    """Mode, breaker state and open alerts of every active partner; never raises."""
    from partners.breakers import breaker_state
    from partners.models import Partner

    partners = Partner.objects.filter(active=True).annotate(
        open_alerts=Count("alerts", filter=Q(alerts__resolved_at__isnull=True))
    )
    states = []
    for partner in partners.order_by("slug"):
        state: dict = {"partner": partner.slug, "open_alerts": partner.open_alerts}
        try:
            state["mode"] = partner.effective_mode
        except Exception as exc:  # a bad <SLUG>_MODE is for `manage.py check` to report
            state["mode"] = f"misconfigured: {exc}"
        try:
            state["breaker"] = breaker_state(partner.slug)
        except Exception:
            logger.warning("Breaker state of %s unreadable", partner.slug, exc_info=True)
            state["breaker"] = "unknown"
        states.append(state)
    return states


class ReadinessView(HealthCheckView):
    def get_checks(self) -> Iterator[HealthCheck]:
        yield Database()
        yield Cache()
        if settings.CELERY_BROKER_URL:
            yield Broker()

    async def get(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        try:
            partners = await sync_to_async(partner_states)()
        except Exception:  # the database check above already says why
            logger.exception("Partner states unavailable")
            partners = []
        healthy = not any(result.error for result in results)
        body = {
            "status": "ok" if healthy else "unavailable",
            "checks": {
                type(result.check).__name__.lower(): {
                    "ok": result.error is None,
                    "detail": str(result.error) if result.error else "",
                    "seconds": round(result.time_taken, 3),
                }
                for result in results
            },
            "partners": partners,
        }
        return JsonResponse(body, status=200 if healthy else 503)


@never_cache
def liveness_view(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is checked, so a slow database never gets a
    healthy process restarted."""
    return JsonResponse({"status": "ok"})


readiness_view = ReadinessView.as_view()
