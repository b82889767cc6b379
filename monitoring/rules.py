"""Alert rules: each reads the database (and the breakers) and says which partners are in
trouble right now. `monitoring.alerts` turns those findings into Alert rows.

A rule returns one Finding per partner whose condition holds; a partner it does not name
is fine. Thresholds and the window come from settings (see docs/monitoring.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q, Subquery
from django.utils import timezone

from monitoring.models import AlertSeverity, CallOutcome, PartnerRequestLog

# Attempts that reached the partner; a refused call never left this service.
SENT = [o for o in CallOutcome.values if o != CallOutcome.REFUSED]
SIGNATURE_VERDICTS = ("bad_signature", "missing_headers", "stale_timestamp")


@dataclass(frozen=True)
class Finding:
    rule: str
    partner_id: int | None
    severity: str
    message: str
    details: dict = field(default_factory=dict)


@dataclass
class RuleContext:
    """What every rule needs, computed once per evaluation."""

    now: datetime

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=settings.ALERT_WINDOW_MINUTES)

    @property
    def since(self) -> datetime:
        return self.now - self.window

    @cached_property
    def partners(self) -> dict[int, object]:
        from partners.models import Partner

        return {p.pk: p for p in Partner.objects.filter(active=True)}

    @cached_property
    def call_stats(self) -> dict[int, dict]:
        """Per partner over the window: attempts sent, failed, slower than the latency
        threshold, and each outcome. One aggregate over the covering index."""
        slow_ms = settings.ALERT_LATENCY_MS
        rows = (
            PartnerRequestLog.objects.filter(
                created_at__gt=self.since, created_at__lte=self.now, outcome__in=SENT
            )
            .values("partner_id")
            .annotate(
                calls=Count("pk"),
                errors=Count("pk", filter=~Q(outcome=CallOutcome.SUCCESS)),
                slow=Count("pk", filter=Q(duration_ms__gt=slow_ms)),
                **{o: Count("pk", filter=Q(outcome=o)) for o in SENT},
            )
            .order_by()
        )
        return {row.pop("partner_id"): row for row in rows}

    def name(self, partner_id: int) -> str:
        partner = self.partners.get(partner_id)
        return partner.name if partner else f"partner #{partner_id}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _minutes(window: timedelta) -> str:
    return _count(int(window.total_seconds() // 60), "minute")


def partner_error_rate(ctx: RuleContext) -> list[Finding]:
    """More than ALERT_ERROR_RATE of the attempts sent in the window failed (4xx, 5xx or
    no answer), counted only from ALERT_ERROR_RATE_MIN_CALLS attempts up."""
    findings = []
    for partner_id, s in ctx.call_stats.items():
        if partner_id not in ctx.partners or s["calls"] < settings.ALERT_ERROR_RATE_MIN_CALLS:
            continue
        rate = s["errors"] / s["calls"]
        if rate > settings.ALERT_ERROR_RATE:
            findings.append(
                Finding(
                    rule="partner_error_rate",
                    partner_id=partner_id,
                    severity=AlertSeverity.CRITICAL,
                    message=(
                        f"{ctx.name(partner_id)}: {s['errors']} of {s['calls']} calls failed "
                        f"({rate:.0%}) in the last {_minutes(ctx.window)}."
                    ),
                    details={"error_rate": round(rate, 4), **s},
                )
            )
    return findings


def partner_latency(ctx: RuleContext) -> list[Finding]:
    """The 95th percentile of attempt durations in the window is above ALERT_LATENCY_MS:
    exactly when more than 5 % of the attempts took longer than that."""
    findings = []
    limit_s = settings.ALERT_LATENCY_MS / 1000
    for partner_id, s in ctx.call_stats.items():
        if partner_id not in ctx.partners or s["calls"] < settings.ALERT_LATENCY_MIN_CALLS:
            continue
        if s["slow"] / s["calls"] > 0.05:
            findings.append(
                Finding(
                    rule="partner_latency",
                    partner_id=partner_id,
                    severity=AlertSeverity.WARNING,
                    message=(
                        f"{ctx.name(partner_id)}: {s['slow']} of {s['calls']} calls took "
                        f"longer than {limit_s:g} s in the last {_minutes(ctx.window)} "
                        f"(p95 above {limit_s:g} s)."
                    ),
                    details={
                        "calls": s["calls"],
                        "slow": s["slow"],
                        "limit_ms": int(limit_s * 1000),
                    },
                )
            )
    return findings


def partner_breaker_open(ctx: RuleContext) -> list[Finding]:
    """The partner's breaker is not closed, or the newest attempt in the window was
    refused by one (without Redis each process has its own breaker; the log is shared)."""
    from partners.breakers import breaker_state
    from partners.models import Partner

    newest = PartnerRequestLog.objects.filter(
        partner=OuterRef("pk"), created_at__gt=ctx.since, created_at__lte=ctx.now
    ).order_by("-created_at", "-pk")
    last_outcomes = dict(
        Partner.objects.filter(pk__in=ctx.partners)
        .annotate(last=Subquery(newest.values("outcome")[:1]))
        .values_list("pk", "last")
    )
    findings = []
    for partner_id, partner in ctx.partners.items():
        state = breaker_state(partner.slug)
        refused = last_outcomes.get(partner_id) == CallOutcome.REFUSED
        if state == "closed" and not refused:
            continue
        shown = state if state != "closed" else "open in another process"
        findings.append(
            Finding(
                rule="partner_breaker_open",
                partner_id=partner_id,
                severity=AlertSeverity.CRITICAL,
                message=(
                    f"{partner.name}: circuit breaker {shown}; calls are refused without "
                    "being sent until a probe succeeds."
                ),
                details={"breaker": state, "last_attempt_refused": refused},
            )
        )
    return findings


def webhook_signature_failures(ctx: RuleContext) -> list[Finding]:
    """At least ALERT_SIGNATURE_FAILURES webhook POSTs for a partner in the window had a
    bad, missing or stale signature: a secret out of step, or someone probing."""
    from webhooks.models import WebhookDelivery

    rows = (
        WebhookDelivery.objects.filter(
            received_at__gt=ctx.since,
            received_at__lte=ctx.now,
            verdict__in=SIGNATURE_VERDICTS,
            partner_id__in=ctx.partners,
        )
        .values("partner_id")
        .annotate(
            failures=Count("pk"),
            **{v: Count("pk", filter=Q(verdict=v)) for v in SIGNATURE_VERDICTS},
        )
        .order_by()
    )
    return [
        Finding(
            rule="webhook_signature_failures",
            partner_id=row["partner_id"],
            severity=AlertSeverity.WARNING,
            message=(
                f"{ctx.name(row['partner_id'])}: {row['failures']} webhook deliveries refused "
                f"for their signature in the last {_minutes(ctx.window)}."
            ),
            details={k: v for k, v in row.items() if k != "partner_id"},
        )
        for row in rows
        if row["failures"] >= settings.ALERT_SIGNATURE_FAILURES
    ]


def webhook_events_stuck(ctx: RuleContext) -> list[Finding]:
    """Events failed, or waiting (received or deferred) for longer than
    ALERT_EVENT_STUCK_MINUTES, among those received in the last ALERT_EVENT_LOOKBACK_DAYS."""
    from webhooks.models import EventStatus, WebhookEvent

    stuck_before = ctx.now - timedelta(minutes=settings.ALERT_EVENT_STUCK_MINUTES)
    waiting = Q(status__in=[EventStatus.RECEIVED, EventStatus.DEFERRED])
    rows = (
        WebhookEvent.objects.filter(
            received_at__gte=ctx.now - timedelta(days=settings.ALERT_EVENT_LOOKBACK_DAYS),
            partner_id__in=ctx.partners,
        )
        .filter(Q(status=EventStatus.FAILED) | (waiting & Q(received_at__lt=stuck_before)))
        .values("partner_id")
        .annotate(
            failed=Count("pk", filter=Q(status=EventStatus.FAILED)),
            waiting=Count("pk", filter=waiting),
            oldest=Min("received_at"),
        )
        .order_by()
    )
    findings = []
    for row in rows:
        parts = []
        if row["failed"]:
            parts.append(f"{row['failed']} failed")
        if row["waiting"]:
            parts.append(
                f"{row['waiting']} waiting over {settings.ALERT_EVENT_STUCK_MINUTES} minutes"
            )
        findings.append(
            Finding(
                rule="webhook_events_stuck",
                partner_id=row["partner_id"],
                severity=AlertSeverity.CRITICAL if row["failed"] else AlertSeverity.WARNING,
                message=f"{ctx.name(row['partner_id'])}: webhook events {' and '.join(parts)}.",
                details={
                    "failed": row["failed"],
                    "waiting": row["waiting"],
                    "oldest": row["oldest"].isoformat(),
                },
            )
        )
    return findings


def voucher_stock_low(ctx: RuleContext) -> list[Finding]:
    """A partner with an active course that needs a voucher has fewer than
    ALERT_VOUCHER_STOCK_MIN usable (available, unexpired) vouchers left: the count the
    voucher stock page shows and enrolment takes from (one selector)."""
    from enrollments.services.vouchers import vouchers_usable_per_partner
    from partners.models import PartnerCourse

    needing = set(
        PartnerCourse.objects.active()
        .filter(needs_voucher=True, partner_id__in=ctx.partners)
        .values_list("partner_id", flat=True)
        .distinct()
    )
    if not needing:
        return []
    available = vouchers_usable_per_partner(partner_ids=needing, now=ctx.now)
    minimum = settings.ALERT_VOUCHER_STOCK_MIN
    return [
        Finding(
            rule="voucher_stock_low",
            partner_id=partner_id,
            severity=AlertSeverity.CRITICAL
            if not available.get(partner_id)
            else AlertSeverity.WARNING,
            message=(
                f"{ctx.name(partner_id)}: {_count(available.get(partner_id, 0), 'voucher')} "
                f"left (alert below {minimum}); enrolments that need one will fail when it "
                "runs out."
            ),
            details={"available": available.get(partner_id, 0), "minimum": minimum},
        )
        for partner_id in sorted(needing)
        if available.get(partner_id, 0) < minimum
    ]


def certificates_expiring(ctx: RuleContext) -> list[Finding]:
    """Certificates expiring within ALERT_CERTIFICATE_EXPIRY_DAYS whose student has not
    already started re-certifying in the same course."""
    from enrollments.models import Certificate, Enrollment, EnrollmentStatus

    renewal = Enrollment.objects.filter(
        student_id=OuterRef("enrollment__student_id"),
        course_id=OuterRef("enrollment__course_id"),
        requested_at__gt=OuterRef("enrollment__requested_at"),
    ).exclude(status__in=[EnrollmentStatus.FAILED, EnrollmentStatus.CANCELLED])
    horizon = ctx.now + timedelta(days=settings.ALERT_CERTIFICATE_EXPIRY_DAYS)
    rows = (
        Certificate.objects.filter(
            expires_at__gt=ctx.now,
            expires_at__lte=horizon,
            enrollment__partner_id__in=ctx.partners,
        )
        .exclude(Exists(renewal))
        .values("enrollment__partner_id")
        .annotate(n=Count("pk"), first=Min("expires_at"))
        .order_by()
    )
    days = settings.ALERT_CERTIFICATE_EXPIRY_DAYS
    return [
        Finding(
            rule="certificates_expiring",
            partner_id=row["enrollment__partner_id"],
            severity=AlertSeverity.WARNING,
            message=(
                f"{ctx.name(row['enrollment__partner_id'])}: {_count(row['n'], 'certificate')} "
                f"{'expires' if row['n'] == 1 else 'expire'} within {days} days "
                f"(first on {timezone.localdate(row['first']):%Y-%m-%d}) with no renewal "
                "enrolment."
            ),
            details={"count": row["n"], "first_expiry": row["first"].isoformat()},
        )
        for row in rows
    ]


RULES: dict[str, Callable[[RuleContext], list[Finding]]] = {
    "partner_error_rate": partner_error_rate,
    "partner_latency": partner_latency,
    "partner_breaker_open": partner_breaker_open,
    "webhook_signature_failures": webhook_signature_failures,
    "webhook_events_stuck": webhook_events_stuck,
    "voucher_stock_low": voucher_stock_low,
    "certificates_expiring": certificates_expiring,
}

RULE_TITLES = {
    "partner_error_rate": "Partner error rate high",
    "partner_latency": "Partner calls slow",
    "partner_breaker_open": "Circuit breaker open",
    "webhook_signature_failures": "Webhook signature failures",
    "webhook_events_stuck": "Webhook events stuck",
    "voucher_stock_low": "Voucher stock low",
    "certificates_expiring": "Certificates expiring",
}
