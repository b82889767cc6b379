"""/metrics for Prometheus (open to an IP allow-list or a bearer token) and the staff
dashboard inside the admin."""

from __future__ import annotations

import hmac
import ipaddress
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from monitoring.dashboard import (
    call_charts,
    call_series,
    enrollment_funnel,
    partner_cards,
    revenue_by_partner,
)
from monitoring.links import alert_links
from monitoring.metrics import exposition
from monitoring.models import Alert

logger = logging.getLogger(__name__)


def token_matches(authorization: str) -> bool:
    expected = settings.METRICS_TOKEN
    if not expected:
        return False
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), expected)


def address_allowed(address: str) -> bool:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wrote. Behind a proxy
    # every request comes from the proxy, so use the token there.
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.METRICS_ALLOWED_IPS:
        try:
            if ip in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            logger.warning("METRICS_ALLOWED_IPS: %r is not an address or network", entry)
    return False


def metrics_allowed(request: HttpRequest) -> bool:
    return token_matches(request.headers.get("Authorization", "")) or address_allowed(
        request.META.get("REMOTE_ADDR", "")
    )


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def dashboard_view(request: HttpRequest) -> TemplateResponse:
    """Staff page inside the admin (wrapped in admin.site.admin_view in config/urls.py).
    `?partner=<slug>` narrows the charts to one partner."""
    if not request.user.has_perm("monitoring.view_partnerrequestlog"):
        raise PermissionDenied
    now = timezone.now()
    cards = partner_cards(now=now)
    selected = next(
        (c.partner for c in cards if c.partner.slug == request.GET.get("partner")), None
    )
    partner_id = selected.pk if selected else None
    day = call_series(
        end=now, span=timedelta(hours=24), step=timedelta(hours=1), partner_id=partner_id
    )
    week = call_series(
        end=now, span=timedelta(days=7), step=timedelta(hours=3), partner_id=partner_id
    )
    context = {
        **admin.site.each_context(request),
        "title": "Partner dashboard",
        "now": now,
        "cards": cards,
        "selected": selected,
        "charts": [
            ("Last 24 hours", call_charts(day, label_format="%H:%M")),
            ("Last 7 days", call_charts(week, label_format="%a %d")),
        ],
        "funnel": enrollment_funnel(),
        "revenue": revenue_by_partner(),
        # Each open alert with where to look (no query per alert: the enrollments it
        # touches are listed on its own page).
        "open_alerts": [
            (alert, alert_links(alert, enrollments=False))
            for alert in Alert.objects.filter(resolved_at=None).select_related("partner")
        ],
        "window_minutes": settings.ALERT_WINDOW_MINUTES,
    }
    return TemplateResponse(request, "monitoring/dashboard.html", context)
