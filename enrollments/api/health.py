"""The `health` of a partner as the API reports it, composed from what is known already.

- `breaker`: the partner's circuit breaker, `closed`, `open`, `half-open`, or `unknown`
  when its shared state cannot be read.
- `open_alerts`: alerts on this partner not resolved yet.
- `status`: `down` when the breaker is open (no call is sent to the partner) or the
  connection mode is misconfigured; `degraded` when the breaker is probing (half-open) or
  unreadable, or an alert is open; `ok` otherwise.
"""

from __future__ import annotations

import logging
from typing import TypedDict

from django.db.models import Count, Q, QuerySet

from partners.breakers import breaker_state
from partners.config import PartnerConfigurationError, effective_mode
from partners.models import Partner

logger = logging.getLogger(__name__)

MISCONFIGURED = "misconfigured"


class PartnerHealth(TypedDict):
    status: str
    breaker: str
    open_alerts: int


def partners_with_alert_counts() -> QuerySet[Partner]:
    """Partners annotated with `open_alerts`, so a page of them costs one query."""
    return Partner.objects.annotate(
        open_alerts=Count("alerts", filter=Q(alerts__resolved_at__isnull=True))
    )


def partner_mode(partner: Partner) -> str:
    """The connection mode in force; a bad `<SLUG>_MODE` reads as misconfigured (and
    `manage.py check` names the variable) instead of failing the request."""
    try:
        return effective_mode(partner)
    except PartnerConfigurationError:
        return MISCONFIGURED


def partner_health(partner: Partner) -> PartnerHealth:
    try:
        breaker = breaker_state(partner.slug)
    except Exception:  # e.g. Redis unreachable: report it, do not fail the listing
        logger.warning("Breaker state of %s unreadable", partner.slug, exc_info=True)
        breaker = "unknown"
    open_alerts = getattr(partner, "open_alerts", None)
    if open_alerts is None:
        open_alerts = partner.alerts.filter(resolved_at__isnull=True).count()
    if breaker == "open" or partner_mode(partner) == MISCONFIGURED:
        status = "down"
    elif breaker != "closed" or open_alerts:
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, "breaker": breaker, "open_alerts": open_alerts}
