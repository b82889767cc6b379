"""Signing and posting webhooks the way a partner does, for every partner."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from enrollments.models import Enrollment, EnrollmentStatus
from partners.config import get_partner_config
from partners.models import PartnerCourse
from partners.registry import PARTNER_SLUGS, clear_adapters
from partners.webhook_signing import signed_headers
from tests.factories import make_enrollment
from webhooks import publishing
from webhooks.models import WebhookDelivery
from webhooks.partner_lookup import forget_partners

_ids = itertools.count(1)


def url(slug: str) -> str:
    return f"/webhooks/partners/{slug}/"


def new_secret(seed: str) -> str:
    return "whsec_" + base64.b64encode(seed.encode().ljust(32, b"!")[:32]).decode()


def secret_of(slug: str) -> str:
    """The partner's first secret in force (the simulator's derived one in tests)."""
    return get_partner_config(slug).webhook_secrets[0]


def other_partner(slug: str) -> str:
    return PARTNER_SLUGS[(PARTNER_SLUGS.index(slug) + 1) % len(PARTNER_SLUGS)]


def event_body(event_type: str, enrollment_id: str, **data: Any) -> dict:
    timestamp = data.pop("timestamp", "2026-11-20T10:00:00+00:00")
    return {
        "type": event_type,
        "timestamp": timestamp,
        "data": {"enrollment_id": enrollment_id, **data},
    }


def last_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.select_related("partner", "event").latest("pk")


class Partner:
    """Sends webhooks to our receiver as partner `slug` would."""

    def __init__(self, slug: str, client: Client, run_on_commit: Callable):
        self.slug = slug
        self.client = client
        self._run_on_commit = run_on_commit

    def headers(
        self,
        raw: bytes,
        *,
        secret: str | None = None,
        msg_id: str | None = None,
        timestamp: int | None = None,
    ) -> dict[str, str]:
        msg_id = msg_id or f"msg_{self.slug}_{next(_ids)}"
        headers = signed_headers(secret or secret_of(self.slug), msg_id, raw, timestamp)
        headers.pop("content-type")
        return headers

    def post(
        self,
        body: dict | bytes,
        *,
        secret: str | None = None,
        msg_id: str | None = None,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
        to: str | None = None,
        **extra: Any,
    ):
        """POST `body` signed with `secret` (default: this partner's), or with exactly
        `headers` when given; processing enqueued on commit runs before this returns."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        if headers is None:
            headers = self.headers(raw, secret=secret, msg_id=msg_id, timestamp=timestamp)
        with self._run_on_commit(execute=True):
            return self.client.post(
                url(to or self.slug),
                data=raw,
                content_type="application/json",
                headers=headers,
                **extra,
            )


@pytest.fixture(autouse=True)
def _forget_partners():
    """The receiver remembers partners per process; each test starts from the database."""
    forget_partners()
    yield
    forget_partners()


@pytest.fixture(autouse=True)
def _no_refusals_counted():
    """Refusals are counted per partner in the cache (webhooks.refusals): each test
    starts with none, whatever the tests before it refused."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def held_publisher(monkeypatch) -> publishing.BatchPublisher:
    """The web process's batch publisher without its background thread: ids put by the
    receiver wait until the test calls flush(), which publishes them in the test."""
    from config.celery import app

    # Celery reads Django's settings once, at first use: before a test changes them.
    assert app.conf.task_always_eager is not None
    publisher = publishing.BatchPublisher()
    monkeypatch.setattr(publisher, "_ensure_thread", lambda: None)
    monkeypatch.setattr(publishing, "_publisher", publisher)
    return publisher


@pytest.fixture
def partner_sender(catalogue, client, django_capture_on_commit_callbacks):
    clear_adapters()

    def make(slug: str) -> Partner:
        return Partner(slug, client, django_capture_on_commit_callbacks)

    yield make
    clear_adapters()


@pytest.fixture(params=PARTNER_SLUGS)
def slug(request) -> str:
    return request.param


@pytest.fixture
def sender(partner_sender, slug) -> Partner:
    return partner_sender(slug)


def enrollment_for(slug: str, external_id: str | None = None, **kw: Any) -> Enrollment:
    """An active enrollment with the partner's id, in one of the partner's courses."""
    course = PartnerCourse.objects.filter(partner__slug=slug).order_by("pk").first()
    kw.setdefault("status", EnrollmentStatus.ACTIVE)
    return make_enrollment(
        course=course,
        external_enrollment_id=external_id or f"{slug.upper()}-E-{next(_ids)}",
        **kw,
    )


@pytest.fixture
def enrollment(sender) -> Enrollment:
    return enrollment_for(sender.slug)
