"""Sentry, set up from settings when SENTRY_DSN is given.

Errors from Django requests and Celery tasks are reported with the Django and Celery
integrations; alert notifications (monitoring.channels) arrive as tagged messages.
No personal data: no user, IP address, cookies or request bodies are sent.
"""

from __future__ import annotations

from typing import Any


def init_sentry(
    *, dsn: str, environment: str, traces_sample_rate: float = 0.0, **options: Any
) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # No personal data: sentry-sdk 2.x sends none unless send_default_pii or
        # data_collection asks for it. Neither is passed: 2.75 deprecates send_default_pii
        # (and warns when it is given), and data_collection is too new for sentry-sdk 2.20.
        # 3.x collects more by default; pyproject keeps us below it.
        # Request bodies can hold student data; keep them out even where PII rules allow.
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        **options,
    )
