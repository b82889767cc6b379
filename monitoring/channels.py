"""Where alert notifications go. Each channel formats one alert event its own way and
raises when it could not deliver, so `monitoring.notifications` retries it later.

Slack is not a partner: it is posted to with plain requests, never partners.client, so
its failures stay out of the partner request logs, metrics and breakers.
"""

from __future__ import annotations

from typing import Protocol

import requests
import sentry_sdk
from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.timezone import localtime

from monitoring.models import Alert, AlertSeverity
from monitoring.rules import RULE_TITLES

SLACK_TIMEOUT = (5, 10)


class Channel(Protocol):
    def enabled(self) -> bool: ...

    def send(self, alert: Alert, event: str) -> None: ...


def alert_title(alert: Alert, event: str) -> str:
    title = RULE_TITLES.get(alert.rule, alert.rule.replace("_", " ").capitalize())
    where = alert.partner.name if alert.partner_id else "all partners"
    prefix = "Resolved" if event == "resolved" else alert.get_severity_display()
    return f"{prefix}: {title} ({where})"


def alert_link(alert: Alert) -> str:
    """Absolute admin URL of the alert, or "" when SITE_URL is not set."""
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{reverse('admin:monitoring_alert_change', args=[alert.pk])}" if base else ""


def _when(alert: Alert, event: str) -> str:
    if event == "resolved":
        minutes = int((alert.resolved_at - alert.opened_at).total_seconds() // 60)
        return f"resolved at {localtime(alert.resolved_at):%Y-%m-%d %H:%M %Z} after {minutes} min"
    return f"opened at {localtime(alert.opened_at):%Y-%m-%d %H:%M %Z}"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackChannel:
    """An incoming-webhook message in Block Kit, with plain `text` as the fallback."""

    def enabled(self) -> bool:
        return bool(settings.SLACK_WEBHOOK_URL)

    def message(self, alert: Alert, event: str) -> dict:
        title = alert_title(alert, event)
        icon = (
            ":white_check_mark:"
            if event == "resolved"
            else ":red_circle:"
            if alert.severity == AlertSeverity.CRITICAL
            else ":large_orange_circle:"
        )
        partner = alert.partner.name if alert.partner_id else "all partners"
        blocks: list[dict] = [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"{icon} {_slack_escape(alert.message)}"},
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Partner*\n{_slack_escape(partner)}"},
                    {"type": "mrkdwn", "text": f"*Rule*\n`{alert.rule}`"},
                    {"type": "mrkdwn", "text": f"*Severity*\n{alert.severity}"},
                    {"type": "mrkdwn", "text": f"*When*\n{_when(alert, event)}"},
                ],
            },
        ]
        link = alert_link(alert)
        if link:
            blocks.append(
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": f"<{link}|Open the alert>"}],
                }
            )
        return {"text": f"{title}: {alert.message}", "blocks": blocks}

    def send(self, alert: Alert, event: str) -> None:
        response = requests.post(
            settings.SLACK_WEBHOOK_URL, json=self.message(alert, event), timeout=SLACK_TIMEOUT
        )
        response.raise_for_status()


class SentryChannel:
    """A message event tagged with partner and rule, grouped per (rule, partner) so one
    problem is one Sentry issue however often it comes back."""

    def enabled(self) -> bool:
        client = sentry_sdk.get_client()  # a client without a DSN is "active" but sends nothing
        return client.is_active() and bool(client.dsn)

    def send(self, alert: Alert, event: str) -> None:
        slug = alert.partner.slug if alert.partner_id else "all"
        if event == "resolved":
            level = "info"
        else:
            level = "error" if alert.severity == AlertSeverity.CRITICAL else "warning"
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("partner", slug)
            scope.set_tag("rule", alert.rule)
            scope.set_tag("alert_event", event)
            scope.fingerprint = ["partnerhub-alert", alert.rule, slug]
            scope.set_context(
                "alert",
                {"id": alert.pk, "severity": alert.severity, "details": alert.details},
            )
            sentry_sdk.capture_message(f"{alert_title(alert, event)}: {alert.message}", level=level)


def admin_addresses() -> list[str]:
    # ADMINS may hold (name, address) pairs (deprecated in Django 6.1) or plain addresses.
    return [a[1] if isinstance(a, list | tuple) else a for a in settings.ADMINS]


class EmailChannel:
    def enabled(self) -> bool:
        return bool(admin_addresses())

    def send(self, alert: Alert, event: str) -> None:
        lines = [alert.message, "", f"Rule: {alert.rule}", f"Severity: {alert.severity}"]
        lines.append(f"{_when(alert, event).capitalize()}.")
        link = alert_link(alert)
        if link:
            lines += ["", link]
        EmailMessage(
            subject=f"{settings.EMAIL_SUBJECT_PREFIX}{alert_title(alert, event)}",
            body="\n".join(lines),
            from_email=settings.SERVER_EMAIL,
            to=admin_addresses(),
        ).send()


CHANNELS: dict[str, Channel] = {
    "slack": SlackChannel(),
    "sentry": SentryChannel(),
    "email": EmailChannel(),
}
