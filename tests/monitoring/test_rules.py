"""Alert rules open, hold and resolve alerts over the window, with a frozen clock."""

from datetime import timedelta

import pytest

from enrollments.models import EnrollmentStatus, VoucherStatus
from monitoring.alerts import Evaluation, alerts_evaluate
from monitoring.models import Alert, AlertSeverity, CallOutcome
from monitoring.rules import RULES
from partners.breakers import breaker_for
from partners.models import Partner, PartnerCourse
from tests.factories import (
    make_certificate,
    make_delivery,
    make_enrollment,
    make_event,
    make_voucher,
)
from tests.monitoring.conftest import T0, log_calls
from webhooks.models import EventStatus, WebhookEvent

pytestmark = pytest.mark.usefixtures("catalogue", "quiet_channels")


def evaluate(rule: str) -> Evaluation:
    """One rule alone, so the catalogue's empty voucher stock does not join in."""
    return alerts_evaluate(rules={rule: RULES[rule]})


def open_alerts(rule: str) -> list[Alert]:
    return list(Alert.objects.filter(rule=rule, resolved_at=None).select_related("partner"))


def test_error_rate_opens_holds_and_resolves(clock, settings):
    settings.ALERT_WINDOW_MINUTES = 15
    log_calls("hsi", 6, CallOutcome.SERVER_ERROR)
    log_calls("hsi", 1, CallOutcome.TRANSPORT_ERROR, status_code=None)
    log_calls("hsi", 5, CallOutcome.SUCCESS)

    result = evaluate("partner_error_rate")

    [alert] = open_alerts("partner_error_rate")
    assert result.opened == [alert]
    assert alert.partner.slug == "hsi"
    assert alert.severity == AlertSeverity.CRITICAL
    assert "7 of 12 calls failed (58%)" in alert.message
    assert alert.details["server_error"] == 6 and alert.details["transport_error"] == 1
    assert alert.opened_at == T0

    clock.shift(timedelta(minutes=5))
    result = evaluate("partner_error_rate")
    assert result.opened == [] and [a.pk for a in result.held] == [alert.pk]
    alert.refresh_from_db()
    assert alert.resolved_at is None
    assert alert.last_seen_at == T0 + timedelta(minutes=5)

    # The failing calls leave the window: the condition clears and the alert resolves.
    clock.shift(timedelta(minutes=11))
    result = evaluate("partner_error_rate")
    assert [a.pk for a in result.resolved] == [alert.pk]
    alert.refresh_from_db()
    assert alert.resolved_at == T0 + timedelta(minutes=16)
    assert open_alerts("partner_error_rate") == []

    # Failing again later is a new problem: a second alert row.
    log_calls("hsi", 10, CallOutcome.CLIENT_ERROR)
    evaluate("partner_error_rate")
    assert len(open_alerts("partner_error_rate")) == 1
    assert Alert.objects.filter(rule="partner_error_rate").count() == 2


def test_error_rate_needs_enough_calls_and_more_than_the_threshold(clock):
    log_calls("certiport", 9, CallOutcome.SERVER_ERROR)  # 100 % but fewer than 10 calls
    log_calls("nds", 5, CallOutcome.SERVER_ERROR)  # exactly 50 %: not above it
    log_calls("nds", 5, CallOutcome.SUCCESS)
    log_calls("jri", 20, CallOutcome.REFUSED, status_code=None)  # never sent: not a call

    evaluate("partner_error_rate")

    assert open_alerts("partner_error_rate") == []


def test_error_rate_threshold_is_a_setting(clock, settings):
    settings.ALERT_ERROR_RATE = 0.2
    settings.ALERT_ERROR_RATE_MIN_CALLS = 4
    log_calls("milady", 1, CallOutcome.SERVER_ERROR)
    log_calls("milady", 3, CallOutcome.SUCCESS)

    evaluate("partner_error_rate")

    assert [a.partner.slug for a in open_alerts("partner_error_rate")] == ["milady"]


def test_latency_opens_when_p95_is_above_the_limit(clock, settings):
    settings.ALERT_LATENCY_MS = 10_000
    log_calls("careersafe", 18, duration_ms=300)
    log_calls("careersafe", 2, duration_ms=12_000)  # 10 % slower than 10 s: p95 above
    log_calls("nrf", 19, duration_ms=300)
    log_calls("nrf", 1, duration_ms=12_000)  # 5 %: p95 still at or under 10 s

    evaluate("partner_latency")

    [alert] = open_alerts("partner_latency")
    assert alert.partner.slug == "careersafe"
    assert alert.severity == AlertSeverity.WARNING
    assert "2 of 20 calls took longer than 10 s" in alert.message

    clock.shift(timedelta(minutes=16))
    log_calls("careersafe", 20, duration_ms=200)
    evaluate("partner_latency")
    assert open_alerts("partner_latency") == []


def test_breaker_open_alert_follows_the_breaker(clock):
    breaker_for("hsi").open()

    evaluate("partner_breaker_open")

    [alert] = open_alerts("partner_breaker_open")
    assert alert.partner.slug == "hsi"
    assert "circuit breaker open" in alert.message

    breaker_for("hsi").close()
    evaluate("partner_breaker_open")
    assert open_alerts("partner_breaker_open") == []


def test_breaker_open_in_another_process_shows_as_refused_calls(clock):
    log_calls("nds", 2, CallOutcome.SERVER_ERROR)
    clock.shift(timedelta(seconds=1))
    log_calls("nds", 1, CallOutcome.REFUSED, status_code=None)

    evaluate("partner_breaker_open")
    [alert] = open_alerts("partner_breaker_open")
    assert alert.partner.slug == "nds"
    assert alert.details == {"breaker": "closed", "last_attempt_refused": True}

    # A later attempt went through: whoever refused has closed its breaker again.
    clock.shift(timedelta(seconds=1))
    log_calls("nds", 1, CallOutcome.SUCCESS)
    evaluate("partner_breaker_open")
    assert open_alerts("partner_breaker_open") == []


def test_webhook_signature_failures(clock, settings):
    settings.ALERT_SIGNATURE_FAILURES = 3
    hsi = Partner.objects.get(slug="hsi")
    jri = Partner.objects.get(slug="jri")
    for verdict in ("bad_signature", "stale_timestamp", "missing_headers"):
        make_delivery(partner=hsi, verdict=verdict, response_status=400, event=None)
    for _ in range(2):
        make_delivery(partner=jri, verdict="bad_signature", response_status=400, event=None)
    make_delivery(partner=jri, verdict="invalid_json", response_status=400, event=None)

    evaluate("webhook_signature_failures")

    [alert] = open_alerts("webhook_signature_failures")
    assert alert.partner == hsi
    assert alert.details == {
        "failures": 3,
        "bad_signature": 1,
        "missing_headers": 1,
        "stale_timestamp": 1,
    }

    clock.shift(timedelta(minutes=16))
    evaluate("webhook_signature_failures")
    assert open_alerts("webhook_signature_failures") == []


def test_webhook_events_stuck_then_failed_then_cleared(clock, settings):
    settings.ALERT_EVENT_STUCK_MINUTES = 30
    hsi = Partner.objects.get(slug="hsi")
    event = make_event(partner=hsi, status=EventStatus.DEFERRED)

    clock.shift(timedelta(minutes=10))
    evaluate("webhook_events_stuck")
    assert open_alerts("webhook_events_stuck") == []  # deferred, but not for long

    clock.shift(timedelta(minutes=21))
    evaluate("webhook_events_stuck")
    [alert] = open_alerts("webhook_events_stuck")
    assert alert.severity == AlertSeverity.WARNING
    assert "1 waiting over 30 minutes" in alert.message

    make_event(partner=hsi, status=EventStatus.FAILED)
    evaluate("webhook_events_stuck")
    [held] = open_alerts("webhook_events_stuck")
    assert held.pk == alert.pk
    assert held.severity == AlertSeverity.CRITICAL
    assert "1 failed and 1 waiting" in held.message

    WebhookEvent.objects.filter(partner=hsi).update(status=EventStatus.PROCESSED)
    evaluate("webhook_events_stuck")
    assert open_alerts("webhook_events_stuck") == []
    assert event.partner_id == hsi.pk


def test_voucher_stock_low(clock, settings):
    settings.ALERT_VOUCHER_STOCK_MIN = 3
    course = PartnerCourse.objects.filter(needs_voucher=True).select_related("partner").first()
    partner = course.partner
    PartnerCourse.objects.exclude(pk=course.pk).update(needs_voucher=False)
    make_voucher(partner=partner, course=course)
    make_voucher(partner=partner)  # good for any of the partner's courses
    make_voucher(partner=partner, expires_at=T0 - timedelta(days=1))  # expired: unusable
    make_voucher(partner=partner, status=VoucherStatus.ASSIGNED, course=course)

    evaluate("voucher_stock_low")
    [alert] = open_alerts("voucher_stock_low")
    assert alert.partner == partner
    assert alert.details == {"available": 2, "minimum": 3}

    make_voucher(partner=partner, course=course)
    evaluate("voucher_stock_low")
    assert open_alerts("voucher_stock_low") == []


def test_certificates_expiring_without_a_renewal(clock, settings):
    settings.ALERT_CERTIFICATE_EXPIRY_DAYS = 30
    course = PartnerCourse.objects.filter(partner__slug="hsi").first()
    expiring = make_certificate(
        enrollment=make_enrollment(
            course=course, status=EnrollmentStatus.COMPLETED, progress_percent=100
        ),
        issued_at=T0 - timedelta(days=700),
        expires_at=T0 + timedelta(days=10),
    )
    make_certificate(  # far off: not yet a concern
        enrollment=make_enrollment(
            course=course, status=EnrollmentStatus.COMPLETED, progress_percent=100
        ),
        issued_at=T0 - timedelta(days=10),
        expires_at=T0 + timedelta(days=700),
    )

    evaluate("certificates_expiring")
    [alert] = open_alerts("certificates_expiring")
    assert alert.partner.slug == "hsi"
    assert alert.details["count"] == 1
    assert "1 certificate expires within 30 days (first on 2026-03-12)" in alert.message

    # The student enrols again in the same course: the renewal is under way.
    clock.shift(timedelta(days=1))
    make_enrollment(student=expiring.enrollment.student, course=course)
    evaluate("certificates_expiring")
    assert open_alerts("certificates_expiring") == []


def test_a_rule_that_fails_leaves_its_alerts_open(clock):
    breaker_for("hsi").open()
    evaluate("partner_breaker_open")
    [alert] = open_alerts("partner_breaker_open")
    breaker_for("hsi").close()

    def broken(context):
        raise RuntimeError("database hiccup")

    result = alerts_evaluate(rules={"partner_breaker_open": broken})

    assert result.failed_rules == ["partner_breaker_open"]
    assert [a.pk for a in open_alerts("partner_breaker_open")] == [alert.pk]


def test_a_second_evaluation_at_the_same_time_is_skipped(clock):
    from django.core.cache import cache

    from monitoring.alerts import LOCK_KEY

    cache.add(LOCK_KEY, "1", 60)
    breaker_for("hsi").open()

    result = evaluate("partner_breaker_open")

    assert result.skipped
    assert open_alerts("partner_breaker_open") == []


def test_the_periodic_task_and_the_command_run_every_rule(clock):
    from io import StringIO

    from django.core.management import call_command

    from monitoring.tasks import evaluate_alerts

    breaker_for("jri").open()
    summary = evaluate_alerts.delay().get()  # no broker in tests: runs in-process
    assert summary.startswith(f"{Alert.objects.filter(resolved_at=None).count()} opened")
    assert open_alerts("partner_breaker_open")[0].partner.slug == "jri"

    breaker_for("jri").close()
    out = StringIO()
    call_command("evaluate_alerts", stdout=out)
    assert "resolved partner_breaker_open: JRI (Job Ready Indy)" in out.getvalue()
