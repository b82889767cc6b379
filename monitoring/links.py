"""Links from what the dashboard and the alerts say to the rows behind it: a partner
card's failing calls in one click, an alert's calls, deliveries, events and the
enrollments it touches.

Every link is an admin changelist with its filters in the query string, so the list a
link opens says (in its filter sidebar) what it shows, and staff can widen it from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from monitoring.admin_filters import FAILED
from monitoring.models import Alert, CallOutcome, PartnerRequestLog
from monitoring.rules import SIGNATURE_VERDICTS

# An enrollments link names its rows by id; past this many it names the first ones.
MAX_ENROLLMENTS = 200


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def changelist(name: str, **params) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def partner_calls_url(partner_id: int, *, status: str = "failed", since: str = "1h") -> str:
    """The request-log list of one partner's calls, by status class (`failed`: what the
    dashboard counts as errors; `refused`: not sent, breaker open) over a recent window
    (monitoring.admin_filters: StatusClassFilter, RecentFilter)."""
    return changelist(
        "monitoring_partnerrequestlog", partner__id__exact=partner_id, status=status, since=since
    )


def alert_period(alert: Alert) -> tuple[datetime, datetime | None]:
    """What an alert is about: from one rule window before it opened (the rule looked
    back that far) to its resolution; open, to now."""
    start = alert.opened_at - timedelta(minutes=settings.ALERT_WINDOW_MINUTES)
    return start, alert.resolved_at


def _period_params(field: str, alert: Alert) -> dict:
    start, end = alert_period(alert)
    params = {f"{field}__gte": start.isoformat()}
    if end is not None:
        params[f"{field}__lte"] = end.isoformat()
    return params


def _call_outcomes(rule: str) -> list[str] | None:
    return {
        "partner_error_rate": FAILED,
        "partner_breaker_open": [*FAILED, CallOutcome.REFUSED],
        "partner_latency": None,  # every call: the slow ones succeed too
    }.get(rule, [])


def alert_calls_url(alert: Alert) -> str | None:
    """The partner calls an alert about calls is about, over its period; None for a rule
    that is not about calls."""
    outcomes = _call_outcomes(alert.rule)
    if alert.partner_id is None or outcomes == []:
        return None
    params = {"partner__id__exact": alert.partner_id, **_period_params("created_at", alert)}
    if outcomes is not None:
        params["outcome__in"] = ",".join(outcomes)
    return changelist("monitoring_partnerrequestlog", **params)


def affected_enrollment_ids(alert: Alert) -> list[int]:
    """The enrollments an alert touches: those named by its failing calls, or by its
    failed and waiting webhook events, in its period (newest first, at most
    MAX_ENROLLMENTS). One query."""
    start, end = alert_period(alert)
    end = end or timezone.now()
    if alert.partner_id is None:
        return []
    if alert.rule == "webhook_events_stuck":
        from webhooks.models import EventStatus, WebhookEvent

        rows = WebhookEvent.objects.filter(
            partner_id=alert.partner_id,
            status__in=[EventStatus.FAILED, EventStatus.RECEIVED, EventStatus.DEFERRED],
            received_at__lte=end,
            enrollment__isnull=False,
        ).order_by("-received_at")
    else:
        outcomes = _call_outcomes(alert.rule)
        if outcomes == []:
            return []
        rows = PartnerRequestLog.objects.filter(
            partner_id=alert.partner_id,
            created_at__gte=start,
            created_at__lte=end,
            enrollment__isnull=False,
        ).order_by("-created_at")
        if outcomes is not None:
            rows = rows.filter(outcome__in=outcomes)
    ids: list[int] = []
    for enrollment_id in rows.values_list("enrollment_id", flat=True)[: MAX_ENROLLMENTS * 5]:
        if enrollment_id not in ids:
            ids.append(enrollment_id)
            if len(ids) == MAX_ENROLLMENTS:
                break
    return ids


def enrollments_url(ids: list[int]) -> str:
    return changelist("enrollments_enrollment", id__in=",".join(map(str, ids)))


def alert_links(alert: Alert, *, enrollments: bool = True) -> list[Link]:
    """Where to look for an alert: the rows its rule counted (calls, deliveries, events,
    vouchers, certificates), and (`enrollments`: one more query) the enrollments it
    touches."""
    links = []
    partner = {"partner__id__exact": alert.partner_id} if alert.partner_id else {}
    calls = alert_calls_url(alert)
    if calls:
        links.append(Link("Partner calls", calls))
    if alert.rule == "webhook_signature_failures":
        url = changelist(
            "webhooks_webhookdelivery",
            **partner,
            verdict__in=",".join(SIGNATURE_VERDICTS),
            **_period_params("received_at", alert),
        )
        links.append(Link("Refused deliveries", url))
    elif alert.rule == "webhook_events_stuck":
        links.append(
            Link(
                "Failed events",
                changelist("webhooks_webhookevent", **partner, status__exact="failed"),
            )
        )
        links.append(
            Link(
                "Deferred events",
                changelist("webhooks_webhookevent", **partner, status__exact="deferred"),
            )
        )
    elif alert.rule == "voucher_stock_low":
        links.append(
            Link(
                "Vouchers available",
                changelist("enrollments_voucher", **partner, status__exact="available"),
            )
        )
    elif alert.rule == "certificates_expiring":
        links.append(
            Link(
                "Certificates expiring",
                changelist(
                    "enrollments_certificate",
                    **(
                        {"enrollment__partner__id__exact": alert.partner_id}
                        if alert.partner_id
                        else {}
                    ),
                    expires=f"next{settings.ALERT_CERTIFICATE_EXPIRY_DAYS}"
                    if settings.ALERT_CERTIFICATE_EXPIRY_DAYS in (30, 60, 90)
                    else "next90",
                ),
            )
        )
    if enrollments:
        ids = affected_enrollment_ids(alert)
        if ids:
            more = "+" if len(ids) == MAX_ENROLLMENTS else ""
            links.append(
                Link(
                    f"{len(ids)}{more} enrollment{'s' if len(ids) != 1 else ''}",
                    enrollments_url(ids),
                )
            )
    return links
