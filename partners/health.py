"""Partner health: the one rule, read by the API, `/health/status/` and the dashboard.

`partners_health(partners)` answers, for each partner of a queryset (in its order), a
`PartnerHealth`: the facts (mode in force, breaker state, the last hour's calls, last
success, open alerts, configuration) and the `status` they add up to, with the `reasons`.

The rule (docs/monitoring.md, "Partner health"); thresholds are the alert rules' settings:

- `down`, calls to the partner do not work now:
  `misconfigured` (`<SLUG>_MODE` invalid, or an `api` partner missing a setting it needs:
  `configuration_error` names the variable), `breaker_open`, `critical_alert` (an open
  critical alert), `error_rate_high` (more than `ALERT_ERROR_RATE` of the window's calls
  failed, with at least `ALERT_ERROR_RATE_MIN_CALLS` calls);
- `degraded`, something to look at: `breaker_half_open` (the next call is a probe),
  `breaker_unknown` (its shared state cannot be read), `alert_open` (an open warning),
  `errors` (`DEGRADED_ERROR_RATE` or more of the window's calls failed), `calls_refused`
  (the breaker refused calls in the window);
- `ok`: none of these.

A `roster` or `manual` partner sends no calls, so only configuration and alerts judge it
(a breaker left open by an earlier `api` period does not make it down). The last success
is reported, never judged: a partner nobody needed in a while has an old one and is fine.
The API, `/health/status/` and the dashboard only present this result.

Calls, last success and alerts are monitoring's records, and this app imports no other
app: monitoring registers an `ActivitySource` at start (`set_activity_source`, in its
AppConfig.ready()). Without one (monitoring not installed) nothing is known of them and
health rests on configuration and the breakers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from partners.breakers import breaker_state
from partners.config import PartnerConfigurationError, effective_mode, get_partner_config
from partners.models import Partner
from partners.modes import ConnectionMode
from partners.registry import UnknownPartner, adapter_class

logger = logging.getLogger(__name__)

# Calls are judged over the last hour: long enough for a quiet partner to have calls,
# short enough that an outage that ended leaves it soon.
WINDOW = timedelta(hours=1)
# Below the alert threshold, this share of failed calls is worth a look.
DEGRADED_ERROR_RATE = 0.1
MISCONFIGURED = "misconfigured"  # the mode reported when `<SLUG>_MODE` is invalid


class HealthStatus(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


class HealthReason(StrEnum):
    # down
    MISCONFIGURED = "misconfigured"
    BREAKER_OPEN = "breaker_open"
    CRITICAL_ALERT = "critical_alert"
    ERROR_RATE_HIGH = "error_rate_high"
    # degraded
    BREAKER_HALF_OPEN = "breaker_half_open"
    BREAKER_UNKNOWN = "breaker_unknown"
    ALERT_OPEN = "alert_open"
    ERRORS = "errors"
    CALLS_REFUSED = "calls_refused"


DOWN_REASONS = frozenset(
    {
        HealthReason.MISCONFIGURED,
        HealthReason.BREAKER_OPEN,
        HealthReason.CRITICAL_ALERT,
        HealthReason.ERROR_RATE_HIGH,
    }
)


@dataclass(frozen=True)
class OpenAlert:
    rule: str
    severity: str  # "warning" or "critical"
    message: str
    opened_at: datetime


@dataclass(frozen=True)
class PartnerActivity:
    """What monitoring knows of one partner: calls in the window (sent ones; refused ones
    apart), their p95 latency, the last successful call ever, the open alerts."""

    calls: int = 0
    errors: int = 0
    refused: int = 0
    p95_ms: float | None = None
    last_success: datetime | None = None
    alerts: tuple[OpenAlert, ...] = ()


# Reads the partners of the queryset (in its order, one query) with each one's activity
# since the given time, in a number of queries that does not grow with the rows.
ActivitySource = Callable[[QuerySet[Partner], datetime], list[tuple[Partner, PartnerActivity]]]


def _no_activity(
    partners: QuerySet[Partner], since: datetime
) -> list[tuple[Partner, PartnerActivity]]:
    return [(partner, PartnerActivity()) for partner in partners]


_activity_source: ActivitySource = _no_activity


def set_activity_source(source: ActivitySource | None) -> None:
    """Where calls, last success and alerts come from (monitoring sets it at start);
    None forgets it."""
    global _activity_source
    _activity_source = source or _no_activity


@dataclass(frozen=True)
class PartnerHealth:
    """One partner's health: the status, why, and the facts it was judged on."""

    partner: Partner
    status: HealthStatus
    reasons: tuple[HealthReason, ...]
    mode: str  # api, roster, manual, or "misconfigured" when <SLUG>_MODE is invalid
    breaker: str  # closed, open, half-open, or unknown when unreadable
    configuration_error: str = ""  # what to set, when misconfigured
    calls: int = 0
    errors: int = 0
    refused: int = 0
    p95_ms: float | None = None
    last_success: datetime | None = None
    alerts: tuple[OpenAlert, ...] = ()

    @property
    def slug(self) -> str:
        return self.partner.slug

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.calls if self.calls else None

    @property
    def open_alerts(self) -> int:
        return len(self.alerts)


def health_reasons(
    *, mode: str, configuration_error: str, breaker: str, activity: PartnerActivity
) -> tuple[HealthReason, ...]:
    """The rule itself (see the module docstring), on facts alone."""
    reasons = []
    if mode == MISCONFIGURED or configuration_error:
        reasons.append(HealthReason.MISCONFIGURED)
    if any(alert.severity == "critical" for alert in activity.alerts):
        reasons.append(HealthReason.CRITICAL_ALERT)
    if any(alert.severity != "critical" for alert in activity.alerts):
        reasons.append(HealthReason.ALERT_OPEN)
    if mode == ConnectionMode.API:
        reasons.extend(_call_reasons(breaker, activity))
    return tuple(
        sorted(reasons, key=lambda r: (r not in DOWN_REASONS, list(HealthReason).index(r)))
    )


def _call_reasons(breaker: str, activity: PartnerActivity) -> list[HealthReason]:
    reasons = {
        "open": [HealthReason.BREAKER_OPEN],
        "half-open": [HealthReason.BREAKER_HALF_OPEN],
        "closed": [],
    }.get(breaker, [HealthReason.BREAKER_UNKNOWN])
    rate = activity.errors / activity.calls if activity.calls else 0
    if activity.calls >= settings.ALERT_ERROR_RATE_MIN_CALLS and rate > settings.ALERT_ERROR_RATE:
        reasons.append(HealthReason.ERROR_RATE_HIGH)
    elif rate >= DEGRADED_ERROR_RATE:
        reasons.append(HealthReason.ERRORS)
    if activity.refused:
        reasons.append(HealthReason.CALLS_REFUSED)
    return reasons


def health_status(reasons: Sequence[HealthReason]) -> HealthStatus:
    if any(reason in DOWN_REASONS for reason in reasons):
        return HealthStatus.DOWN
    return HealthStatus.DEGRADED if reasons else HealthStatus.OK


def partners_health(
    partners: QuerySet[Partner], *, now: datetime | None = None
) -> list[PartnerHealth]:
    """The health of each partner of `partners`, in its order. A fixed number of queries
    (the activity source's: three with monitoring), whatever the number of rows; never
    raises for a partner's configuration or an unreadable breaker."""
    since = (now or timezone.now()) - WINDOW
    return [_health(partner, activity) for partner, activity in _activity_source(partners, since)]


def _health(partner: Partner, activity: PartnerActivity) -> PartnerHealth:
    mode, configuration_error = _configuration(partner)
    try:
        breaker = breaker_state(partner.slug)
    except Exception:  # e.g. Redis unreachable: report it, do not fail the caller
        logger.warning("Breaker state of %s unreadable", partner.slug, exc_info=True)
        breaker = "unknown"
    reasons = health_reasons(
        mode=mode, configuration_error=configuration_error, breaker=breaker, activity=activity
    )
    return PartnerHealth(
        partner=partner,
        status=health_status(reasons),
        reasons=reasons,
        mode=mode,
        breaker=breaker,
        configuration_error=configuration_error,
        calls=activity.calls,
        errors=activity.errors,
        refused=activity.refused,
        p95_ms=activity.p95_ms,
        last_success=activity.last_success,
        alerts=activity.alerts,
    )


def _configuration(partner: Partner) -> tuple[str, str]:
    """(mode in force, what is wrong with the configuration or ""). An `api` partner
    needs its adapter's required settings (none while simulated); `manage.py check`
    reports the same problems at start."""
    try:
        mode = effective_mode(partner)
    except PartnerConfigurationError as exc:
        return MISCONFIGURED, str(exc)
    if mode != ConnectionMode.API:
        return mode, ""
    try:
        required = adapter_class(partner.slug).required_settings
    except UnknownPartner:  # a row without an adapter: nothing to check it against
        return mode, ""
    try:
        missing = get_partner_config(partner.slug).missing_settings(required)
    except PartnerConfigurationError as exc:
        return mode, str(exc)
    return mode, f"set {', '.join(missing)}" if missing else ""
