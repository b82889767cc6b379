"""Prometheus metrics: what every process counts, and what is read at scrape time.

Partner calls are counted where they happen (web and Celery processes) from the
`partner_call_attempted` signal. With PROMETHEUS_MULTIPROC_DIR set in the environment of
every process, prometheus-client writes those counters to files in that folder and the
scrape adds up every process's files, so several gunicorn and Celery workers on one
machine report one total.

Everything else (breaker state, enrollments, webhook deliveries and events, open alerts)
is read from the database or Redis when Prometheus scrapes, so it is the same whichever
process answers and never needs a process to have seen the event. Webhook deliveries are
a gauge over the last hour rather than a counter, because pruning old rows would make a
counter go down and Prometheus would read every prune as a reset.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from partners.signals import CallRecord

logger = logging.getLogger(__name__)

# Seconds; partner calls range from tens of milliseconds to the 30 s read timeout.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

PARTNER_CALLS = Counter(
    "partnerhub_partner_calls",
    "HTTP attempts to partners (and calls refused by an open breaker), by outcome.",
    ["partner", "operation", "outcome"],
)
PARTNER_CALL_SECONDS = Histogram(
    "partnerhub_partner_call_duration_seconds",
    "Time from sending an attempt to a partner to its answer or failure.",
    ["partner", "operation"],
    buckets=LATENCY_BUCKETS,
)

BREAKER_STORAGE_FALLBACKS = Counter(
    "partnerhub_breaker_storage_fallbacks",
    "Times a partner's circuit breaker could not reach Redis and fell back to the state "
    "of one process (partners/breakers.py).",
    ["partner"],
)

BREAKER_STATES = ("closed", "half-open", "open")


def record_call_metrics(sender, *, record: CallRecord, **kwargs) -> None:
    """Signal receiver (connected in MonitoringConfig.ready). A refused call was never
    sent, so it is counted but not timed: its zero duration would flatter the latency."""
    try:
        PARTNER_CALLS.labels(record.partner, record.operation, record.outcome).inc()
        if record.outcome != "refused":
            PARTNER_CALL_SECONDS.labels(record.partner, record.operation).observe(
                record.duration_ms / 1000
            )
    except Exception:  # metrics must never break the call they describe
        logger.exception("Could not count the partner call %s %s", record.partner, record.operation)


def record_breaker_fallback(sender, *, partner: str, **kwargs) -> None:
    """Signal receiver (connected in MonitoringConfig.ready): one more fallback."""
    try:
        BREAKER_STORAGE_FALLBACKS.labels(partner).inc()
    except Exception:
        logger.exception("Could not count the breaker fallback of %s", partner)


class ScrapeTimeCollector(Collector):
    """State read when Prometheus scrapes. A failing source is logged and left out, so
    the counters above are still served while the database is down."""

    def collect(self) -> Iterator[Metric]:
        for source in (
            self._breakers,
            self._enrollments,
            self._deliveries,
            self._events,
            self._alerts,
        ):
            try:
                yield from source()
            except Exception:
                logger.exception("Metrics: %s could not be read", source.__name__)

    def _breakers(self) -> Iterator[Metric]:
        from partners.breakers import breaker_state
        from partners.models import Partner

        family = GaugeMetricFamily(
            "partnerhub_partner_breaker_state",
            "1 for the state each partner's circuit breaker is in, 0 for the others.",
            labels=["partner", "state"],
        )
        for slug in Partner.objects.filter(active=True).values_list("slug", flat=True):
            current = breaker_state(slug)
            for state in BREAKER_STATES:
                family.add_metric([slug, state], 1.0 if state == current else 0.0)
        yield family

    def _enrollments(self) -> Iterator[Metric]:
        from enrollments.models import Enrollment

        family = GaugeMetricFamily(
            "partnerhub_enrollments",
            "Enrollments by partner and status.",
            labels=["partner", "status"],
        )
        rows = Enrollment.objects.values("partner__slug", "status").annotate(n=Count("pk"))
        for row in rows.order_by():
            family.add_metric([row["partner__slug"], row["status"]], row["n"])
        yield family

    def _deliveries(self) -> Iterator[Metric]:
        from webhooks.models import WebhookDelivery

        family = GaugeMetricFamily(
            "partnerhub_webhook_deliveries_last_hour",
            "Webhook POSTs received in the last hour, by partner (slug as in the URL) and verdict.",
            labels=["partner", "verdict"],
        )
        since = timezone.now() - timedelta(hours=1)
        rows = (
            WebhookDelivery.objects.filter(received_at__gte=since)
            .values("partner_slug", "verdict")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            family.add_metric([row["partner_slug"], row["verdict"]], row["n"])
        yield family

    def _events(self) -> Iterator[Metric]:
        from webhooks.models import WebhookEvent

        family = GaugeMetricFamily(
            "partnerhub_webhook_events",
            "Webhook events by partner and processing status (processed, failed, ...).",
            labels=["partner", "status"],
        )
        rows = WebhookEvent.objects.values("partner__slug", "status").annotate(n=Count("pk"))
        for row in rows.order_by():
            family.add_metric([row["partner__slug"], row["status"]], row["n"])
        yield family

    def _alerts(self) -> Iterator[Metric]:
        from monitoring.models import Alert

        family = GaugeMetricFamily(
            "partnerhub_alerts_open",
            "Open alerts by rule and partner (partner empty for organisation-wide rules).",
            labels=["rule", "partner", "severity"],
        )
        rows = Alert.objects.filter(resolved_at__isnull=True).values(
            "rule", "partner__slug", "severity"
        )
        for row in rows.annotate(n=Count("pk")).order_by():
            family.add_metric([row["rule"], row["partner__slug"] or "", row["severity"]], row["n"])
        yield family


_scrape_time = CollectorRegistry(auto_describe=False)
_scrape_time.register(ScrapeTimeCollector())


def multiprocess_dir() -> str:
    """The folder every process writes its counters to, or "" for one process.

    prometheus-client picks file-backed values when it is imported with this variable in
    the environment, so it is an environment variable, not a Django setting."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def exposition(*, multiprocess_path: str | None = None, scrape_time: bool = True) -> bytes:
    """The whole /metrics body in Prometheus text format."""
    path = multiprocess_dir() if multiprocess_path is None else multiprocess_path
    if path:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=path)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    if scrape_time:
        body += generate_latest(_scrape_time)
    return body
