"""Opening and resolving an alert reaches Slack, Sentry and the admins' mailbox, once,
and a flapping partner is held back by each channel's cooldown."""

from datetime import timedelta

import pytest
import responses
from django.core import mail

from monitoring.alerts import alerts_evaluate
from monitoring.models import Alert
from monitoring.rules import RULES
from partners.breakers import breaker_for
from tests.monitoring.conftest import SLACK_URL, slack_messages

pytestmark = pytest.mark.usefixtures("catalogue")

BREAKER = {"partner_breaker_open": RULES["partner_breaker_open"]}


@pytest.fixture
def admins(settings):
    settings.ADMINS = ["ops@example.org", "oncall@example.org"]
    settings.SITE_URL = "https://hub.example.org"


def test_slack_gets_a_block_kit_message_on_open_and_on_resolve(clock, slack, admins):
    breaker_for("certiport").open()

    alerts_evaluate(rules=BREAKER)

    [opened] = slack_messages(slack)
    alert = Alert.objects.get(rule="partner_breaker_open")
    header, section, fields, context = opened["blocks"]
    assert header == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "Critical: Circuit breaker open (Certiport (Pearson VUE))",
            "emoji": True,
        },
    }
    assert section["text"]["text"].startswith(":red_circle: Certiport (Pearson VUE): circuit")
    assert [f["text"] for f in fields["fields"]] == [
        "*Partner*\nCertiport (Pearson VUE)",
        "*Rule*\n`partner_breaker_open`",
        "*Severity*\ncritical",
        "*When*\nopened at 2026-03-02 09:00 UTC",
    ]
    link = f"https://hub.example.org/admin/monitoring/alert/{alert.pk}/change/"
    assert context["elements"][0]["text"] == f"<{link}|Open the alert>"
    assert opened["text"].startswith("Critical: Circuit breaker open (Certiport (Pearson VUE)):")

    clock.shift(timedelta(minutes=3))
    alerts_evaluate(rules=BREAKER)
    assert len(slack_messages(slack)) == 1  # held: nothing new to say

    breaker_for("certiport").close()
    clock.shift(timedelta(minutes=2))
    alerts_evaluate(rules=BREAKER)

    resolved = slack_messages(slack)[1]
    assert resolved["blocks"][0]["text"]["text"] == (
        "Resolved: Circuit breaker open (Certiport (Pearson VUE))"
    )
    assert resolved["blocks"][1]["text"]["text"].startswith(":white_check_mark:")
    assert resolved["blocks"][2]["fields"][3]["text"] == (
        "*When*\nresolved at 2026-03-02 09:05 UTC after 5 min"
    )


def test_slack_text_is_escaped(clock, slack, admins):
    from monitoring.channels import SlackChannel

    alert = Alert.objects.create(rule="voucher_stock_low", message="a < b & c > d")
    message = SlackChannel().message(alert, "opened")
    assert message["blocks"][1]["text"]["text"].endswith("a &lt; b &amp; c &gt; d")
    assert "*Partner*\nall partners" in [f["text"] for f in message["blocks"][2]["fields"]]


def test_sentry_gets_a_message_tagged_with_partner_and_rule(clock, sentry_transport, settings):
    settings.SLACK_WEBHOOK_URL = ""
    settings.ADMINS = []
    breaker_for("nds").open()

    alerts_evaluate(rules=BREAKER)

    [event] = sentry_transport.events()
    assert event["level"] == "error"
    assert event["message"].startswith("Critical: Circuit breaker open (NDS")
    assert event["tags"]["partner"] == "nds"
    assert event["tags"]["rule"] == "partner_breaker_open"
    assert event["tags"]["alert_event"] == "opened"
    assert event["fingerprint"] == ["partnerhub-alert", "partner_breaker_open", "nds"]
    assert event["contexts"]["alert"]["details"]["breaker"] == "open"
    assert "user" not in event  # no personal data

    breaker_for("nds").close()
    clock.shift(timedelta(minutes=1))
    alerts_evaluate(rules=BREAKER)
    resolved = sentry_transport.events()[1]
    assert resolved["level"] == "info"
    assert resolved["tags"]["alert_event"] == "resolved"


def test_sentry_setup_uses_django_and_celery_without_personal_data(sentry_transport):
    import sentry_sdk

    client = sentry_sdk.get_client()
    assert client.should_send_default_pii() is False
    assert client.options["max_request_body_size"] == "never"
    assert {"django", "celery"} <= set(client.integrations)


def test_admins_get_an_email(clock, admins, settings):
    settings.SLACK_WEBHOOK_URL = ""
    breaker_for("jri").open()

    alerts_evaluate(rules=BREAKER)

    [message] = mail.outbox
    assert message.to == ["ops@example.org", "oncall@example.org"]
    assert message.subject == "[Partner Hub] Critical: Circuit breaker open (JRI (Job Ready Indy))"
    assert "circuit breaker open" in message.body
    assert "Rule: partner_breaker_open" in message.body
    assert "https://hub.example.org/admin/monitoring/alert/" in message.body


def test_cooldown_holds_back_a_flapping_partner_then_catches_up(clock, slack, admins, settings):
    settings.ALERT_NOTIFY_COOLDOWN_MINUTES = 30
    breaker = breaker_for("milady")

    def flap(open_: bool, minutes: int) -> None:
        breaker.open() if open_ else breaker.close()
        clock.shift(timedelta(minutes=minutes))
        alerts_evaluate(rules=BREAKER)

    flap(True, 0)  # opened: sent
    flap(False, 2)  # resolved: sent, it pairs with the opening
    flap(True, 2)  # opened again 4 min after the last message: held back
    flap(False, 2)  # its resolution: nothing, the opening was never sent
    flap(True, 2)  # and again: held back
    headers = [m["blocks"][0]["text"]["text"] for m in slack_messages(slack)]
    assert headers == [
        "Critical: Circuit breaker open (Milady (Cengage))",
        "Resolved: Circuit breaker open (Milady (Cengage))",
    ]
    assert len(mail.outbox) == 2
    assert Alert.objects.filter(rule="partner_breaker_open").count() == 3

    # Still open when the cooldown ends: now it is announced.
    clock.shift(timedelta(minutes=25))
    alerts_evaluate(rules=BREAKER)
    headers = [m["blocks"][0]["text"]["text"] for m in slack_messages(slack)]
    assert headers[2:] == ["Critical: Circuit breaker open (Milady (Cengage))"]
    assert len(mail.outbox) == 3
    latest = Alert.objects.get(rule="partner_breaker_open", resolved_at=None)
    assert set(latest.notifications) == {"slack", "email"}


def test_a_channel_that_fails_is_retried_without_repeating_the_others(clock, admins, settings):
    settings.SLACK_WEBHOOK_URL = SLACK_URL
    breaker_for("hsi").open()
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, SLACK_URL, status=500)
        alerts_evaluate(rules=BREAKER)
    alert = Alert.objects.get(rule="partner_breaker_open")
    assert set(alert.notifications) == {"email"}
    assert len(mail.outbox) == 1

    clock.shift(timedelta(minutes=1))
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, SLACK_URL, body="ok")
        result = alerts_evaluate(rules=BREAKER)
    assert result.notifications == [(alert.pk, "slack", "opened")]
    alert.refresh_from_db()
    assert set(alert.notifications) == {"slack", "email"}
    assert len(mail.outbox) == 1


def test_nothing_is_sent_without_channels(clock, quiet_channels):
    breaker_for("hsi").open()
    with responses.RequestsMock():  # any HTTP request would fail the test
        result = alerts_evaluate(rules=BREAKER)
    assert len(result.opened) == 1
    assert result.notifications == []
    assert mail.outbox == []
