"""Fixtures for monitoring tests: a clean breaker and lock, Slack behind `responses`,
Sentry with a transport that keeps events in memory, and a way to write call logs at a
chosen time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import responses
import sentry_sdk
from django.core.cache import cache
from sentry_sdk.transport import Transport

from monitoring.models import CallOutcome
from monitoring.recorder import write_records
from partners.breakers import reset_breakers
from partners.signals import CallRecord

SLACK_URL = "https://hooks.slack.test/services/T000/B000/XXXX"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clean_state():
    """Closed breakers, no evaluation lock and no dashboard data cached by another test
    (whose clock and database were different)."""
    reset_breakers()
    cache.clear()
    yield
    reset_breakers()
    cache.clear()


@pytest.fixture
def clock(time_machine):
    """The clock stands still at T0 until a test moves it."""
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def quiet_channels(settings):
    """No channel configured: rules and alerts alone."""
    settings.SLACK_WEBHOOK_URL = ""
    settings.ADMINS = []
    sentry_sdk.init(dsn=None)


@pytest.fixture
def slack(settings):
    settings.SLACK_WEBHOOK_URL = SLACK_URL
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, SLACK_URL, body="ok")
        yield mock


def slack_messages(mock) -> list[dict]:
    import json

    return [json.loads(call.request.body) for call in mock.calls if call.request.url == SLACK_URL]


class CapturingTransport(Transport):
    """Sentry's transport interface, keeping envelopes instead of sending them."""

    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict]:
        return [
            item.payload.json
            for envelope in self.envelopes
            for item in envelope.items
            if item.type == "event"
        ]


@pytest.fixture
def sentry_transport():
    from config.sentry import init_sentry

    transport = CapturingTransport()
    init_sentry(dsn="https://public@sentry.test/1", environment="test", transport=transport)
    yield transport
    sentry_sdk.init(dsn=None)


def log_calls(
    slug: str,
    count: int,
    outcome: str = CallOutcome.SUCCESS,
    *,
    duration_ms: int = 120,
    operation: str = "enroll",
    status_code: int | None = None,
) -> None:
    """`count` attempts for a partner, stamped with the (frozen) current time, written as
    the client's hook writes them (the recorder: the logs and their hourly counts)."""
    if status_code is None:
        status_code = {"success": 200, "client_error": 404, "server_error": 503}.get(outcome)
    write_records(
        CallRecord(
            partner=slug,
            operation=operation,
            method="POST",
            url=f"https://{slug}.partner.test/{operation}",
            status_code=status_code,
            outcome=outcome,
            duration_ms=duration_ms,
            attempt=1,
        )
        for _ in range(count)
    )
