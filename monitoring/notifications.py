"""Tell people when an alert opens or resolves: Slack, Sentry and e-mail to the admins.

Each channel keeps its own record on the alert (`Alert.notifications`) and its own
cooldown, so a channel that failed is retried at the next evaluation without the others
repeating themselves. Within ALERT_NOTIFY_COOLDOWN_MINUTES of a channel's last message
about a (rule, partner), a new opening is held back; if the alert is still open when the
cooldown ends, it is sent then. A resolution is sent only where the opening was, so a
flapping partner costs each channel at most one "opened" and one "resolved" per cooldown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from monitoring.channels import CHANNELS, Channel
from monitoring.models import Alert

logger = logging.getLogger(__name__)

OPENED, RESOLVED = "opened", "resolved"
# A resolution that could not be sent is retried for this long, then given up.
RESOLUTION_RETRY = timedelta(days=1)


def notify_pending(
    *, now: datetime, channels: dict[str, Channel] | None = None
) -> list[tuple[int, str, str]]:
    """Send every opening and resolution still owed; return (alert id, channel, event)."""
    channels = {name: ch for name, ch in (channels or CHANNELS).items() if ch.enabled()}
    if not channels:
        return []
    cooldown = timedelta(minutes=settings.ALERT_NOTIFY_COOLDOWN_MINUTES)
    last_sent = _last_sent(since=now - cooldown)
    alerts = Alert.objects.filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=now - RESOLUTION_RETRY)
    ).select_related("partner")
    sent: list[tuple[int, str, str]] = []
    for alert in alerts.order_by("opened_at", "pk"):
        for name, channel in channels.items():
            event = _owed(alert, name, last_sent, now - cooldown)
            if event and _send(alert, name, channel.send, event, now):
                last_sent[(alert.rule, alert.partner_id, name)] = now
                sent.append((alert.pk, name, event))
    return sent


def _owed(alert: Alert, channel: str, last_sent: dict, cooldown_start: datetime) -> str | None:
    record = alert.notifications.get(channel, {})
    if alert.resolved_at is not None:
        return RESOLVED if OPENED in record and RESOLVED not in record else None
    if OPENED in record:
        return None
    previous = last_sent.get((alert.rule, alert.partner_id, channel))
    if previous is not None and previous > cooldown_start:
        return None  # cooling down: held back, sent later if still open
    return OPENED


def _send(
    alert: Alert, channel: str, send: Callable[[Alert, str], None], event: str, now: datetime
) -> bool:
    try:
        send(alert, event)
    except Exception:
        logger.exception("Could not send the %s of alert %s to %s", event, alert.pk, channel)
        return False
    alert.notifications = {
        **alert.notifications,
        channel: {**alert.notifications.get(channel, {}), event: now.isoformat()},
    }
    alert.last_notified_at = now
    alert.save(update_fields=["notifications", "last_notified_at"])
    return True


def _last_sent(*, since: datetime) -> dict[tuple[str, int | None, str], datetime]:
    """When each channel last said anything about each (rule, partner), from the alerts
    notified since `since` (few rows: the index on last_notified_at is not needed)."""
    latest: dict[tuple[str, int | None, str], datetime] = {}
    rows = Alert.objects.filter(last_notified_at__gte=since).values_list(
        "rule", "partner_id", "notifications"
    )
    for rule, partner_id, notifications in rows:
        for channel, events in (notifications or {}).items():
            for stamp in events.values():
                when = datetime.fromisoformat(stamp)
                key = (rule, partner_id, channel)
                if key not in latest or when > latest[key]:
                    latest[key] = when
    return latest
