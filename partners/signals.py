"""The one hook through which the partner layer reports what it did.

`partner_call_attempted` is sent once per HTTP attempt (and once per call the breaker
refused) with `record=CallRecord(...)`; `breaker_storage_fell_back` once each time a
partner's breaker loses its shared Redis state and falls back to this process's memory,
with `partner=<slug>`. The partners app never imports monitoring: the
monitoring app connects its receivers (request log, metrics) in its AppConfig.ready().
The other way round, partner health reads monitoring's records through the activity
source monitoring registers there too (`partners.health.set_activity_source`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.dispatch import Signal

partner_call_attempted = Signal()
breaker_storage_fell_back = Signal()


@dataclass(frozen=True, slots=True)
class CallRecord:
    partner: str  # slug
    operation: str  # create_account, enroll, get_progress, ...
    method: str
    url: str  # secrets removed
    outcome: str  # success, client_error, server_error, transport_error, refused
    duration_ms: int
    attempt: int
    status_code: int | None = None
    error_class: str = ""
    error_message: str = ""
    correlation_id: str = ""
    enrollment_id: int | None = None
    request_headers: dict = field(default_factory=dict)  # redacted
    request_body: str = ""  # redacted, bounded
    response_headers: dict = field(default_factory=dict)
    response_body: str = ""  # redacted, bounded
