"""Turn rule findings into Alert rows, then notify.

One open alert per (rule, partner): a finding with no open alert opens one, a finding
with one refreshes it (last seen, message, severity), and an open alert whose rule no
longer finds anything is resolved. A rule that raises leaves its alerts as they are:
not knowing is not the same as all clear.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from monitoring.models import Alert
from monitoring.notifications import notify_pending
from monitoring.rules import RULES, Finding, RuleContext

logger = logging.getLogger(__name__)

# Beat and a staff member running the command at the same moment must not both notify.
# The lock lives in the cache: shared through Redis when scaled, per process otherwise.
LOCK_KEY = "monitoring:alerts-evaluate"
LOCK_SECONDS = 300


@dataclass
class Evaluation:
    opened: list[Alert] = field(default_factory=list)
    held: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)
    failed_rules: list[str] = field(default_factory=list)
    notifications: list[tuple[int, str, str]] = field(default_factory=list)
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "skipped: another evaluation is running"
        text = (
            f"{len(self.opened)} opened, {len(self.held)} still open, "
            f"{len(self.resolved)} resolved, {len(self.notifications)} notifications sent"
        )
        if self.failed_rules:
            text += f"; rules that failed: {', '.join(self.failed_rules)}"
        return text


def alerts_evaluate(*, rules: dict | None = None) -> Evaluation:
    """Run every rule over the window ending now, update alerts, send notifications."""
    if not cache.add(LOCK_KEY, "1", LOCK_SECONDS):
        return Evaluation(skipped=True)
    try:
        now = timezone.now()
        context = RuleContext(now=now)
        result = Evaluation()
        for name, rule in (rules or RULES).items():
            try:
                findings = rule(context)
            except Exception:
                logger.exception("Alert rule %s failed; its alerts are left as they are", name)
                result.failed_rules.append(name)
                continue
            _apply(name, findings, now, result)
        result.notifications = notify_pending(now=now)
        return result
    finally:
        cache.delete(LOCK_KEY)


def _apply(rule: str, findings: list[Finding], now, result: Evaluation) -> None:
    open_alerts = {a.partner_id: a for a in Alert.objects.filter(rule=rule, resolved_at=None)}
    for finding in findings:
        alert = open_alerts.pop(finding.partner_id, None)
        if alert is None:
            alert = _open(finding, now)
            if alert is not None:
                result.opened.append(alert)
                logger.warning("Alert opened: %s", finding.message)
                continue
            # Another evaluation opened it a moment ago: refresh that one instead.
            alert = Alert.objects.filter(
                rule=rule, partner_id=finding.partner_id, resolved_at=None
            ).first()
            if alert is None:
                continue
        alert.last_seen_at = now
        alert.message = finding.message
        alert.severity = finding.severity
        alert.details = finding.details
        alert.save(update_fields=["last_seen_at", "message", "severity", "details"])
        result.held.append(alert)
    for alert in open_alerts.values():
        alert.resolved_at = now
        alert.save(update_fields=["resolved_at"])
        result.resolved.append(alert)
        logger.warning("Alert resolved: %s", alert)


def _open(finding: Finding, now) -> Alert | None:
    try:
        with transaction.atomic():
            return Alert.objects.create(
                rule=finding.rule,
                partner_id=finding.partner_id,
                severity=finding.severity,
                message=finding.message,
                details=finding.details,
                last_seen_at=now,
            )
    except IntegrityError:  # the one-open-alert constraint
        return None
