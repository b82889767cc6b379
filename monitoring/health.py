"""Health endpoints: liveness, readiness and a detailed status (docs/monitoring.md).

- `/health/live/`, liveness: the process answers. Nothing is checked and no database is
  touched, so a slow dependency never gets a healthy process restarted.
- `/health/ready/` (and `/health/`), readiness, for the load balancer: the database
  answers a query (200), or not (503). Nothing else counts. A web node that can store
  webhooks and API writes is worth its traffic while the broker is down: the rows are
  committed and the reconcile and webhook re-drive jobs publish their work once the broker
  is back. The broker and the cache are shared by every node, so failing readiness on them
  would take every node out of rotation at once and lose the webhooks too.
- `/health/status/`, the detailed status, for people and monitoring: the database, cache
  and broker checks (run concurrently, each under a timeout), every active partner's
  health (partners.health: status, reasons, mode, breaker, open alerts) and the open alerts
  themselves. Always 200: its `status` says `ok`, `degraded` (something other than the
  database is down) or `unavailable` (the database is), so pointing a load balancer at it
  never pulls a node; a partner's health never changes it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
from collections.abc import Iterable, Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
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
    """Every active partner's health (partners.health: the one rule), by slug: its status
    and reasons, mode, breaker and number of open alerts. Never raises for a partner's
    configuration or breaker; alert messages stay in the admin."""
    from partners.health import MISCONFIGURED, partners_health
    from partners.models import Partner

    return [
        {
            "partner": health.slug,
            "status": health.status,
            "reasons": list(health.reasons),
            "mode": f"{MISCONFIGURED}: {health.configuration_error}"
            if health.mode == MISCONFIGURED
            else health.mode,
            "breaker": health.breaker,
            "open_alerts": health.open_alerts,
        }
        for health in partners_health(Partner.objects.filter(active=True).order_by("slug"))
    ]


async def run_checks(checks: Iterable[HealthCheck]) -> dict[str, dict]:
    """Each check's outcome by name ("database", "cache", "broker"), run concurrently."""
    results = await asyncio.gather(*(check.get_result() for check in checks))
    return {
        type(result.check).__name__.lower(): {
            "ok": result.error is None,
            "detail": str(result.error) if result.error else "",
            "seconds": round(result.time_taken, 3),
        }
        for result in results
    }


def open_alerts() -> list[dict]:
    """Every open alert, newest first. Bounded: at most one is open per rule and partner.
    The message stays out (these endpoints need no login); the admin shows it."""
    from monitoring.models import Alert

    alerts = Alert.objects.filter(resolved_at=None).select_related("partner")
    return [
        {
            "rule": alert.rule,
            "severity": alert.severity,
            "partner": alert.partner.slug if alert.partner else None,
            "opened_at": alert.opened_at.isoformat(),
        }
        for alert in alerts.order_by("-opened_at", "-pk")
    ]


class ReadinessView(HealthCheckView):
    """The database answers: 200, or 503 (see the module docstring for why nothing else
    counts)."""

    async def get(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        checks = await run_checks([Database()])
        ready = checks["database"]["ok"]
        body = {"status": "ok" if ready else "unavailable", "checks": checks}
        return JsonResponse(body, status=200 if ready else 503)


class StatusView(HealthCheckView):
    """Everything this service depends on, always answered with 200."""

    def get_checks(self) -> Iterator[HealthCheck]:
        yield Database()
        yield Cache()
        if settings.CELERY_BROKER_URL:
            yield Broker()

    async def get(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        checks = await run_checks(self.get_checks())
        ready = checks["database"]["ok"]
        partners = alerts = None  # unknown while the database is down
        if ready:
            try:
                partners = await sync_to_async(partner_states)()
                alerts = await sync_to_async(open_alerts)()
            except Exception:
                logger.exception("Partner states or alerts unavailable")
        if not ready:
            status = "unavailable"
        elif all(check["ok"] for check in checks.values()):
            status = "ok"
        else:
            status = "degraded"
        body = {
            "status": status,
            "ready": ready,
            "checks": checks,
            "partners": partners,
            "alerts": alerts,
        }
        return JsonResponse(body)


@never_cache
def liveness_view(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is checked, so a slow database never gets a
    healthy process restarted."""
    return JsonResponse({"status": "ok"})


readiness_view = ReadinessView.as_view()
status_view = StatusView.as_view()
