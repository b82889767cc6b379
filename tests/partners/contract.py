"""The shared contract every adapter runs (tests/partners/test_adapter_contract.py).

A partner's `ContractCase` (tests/partners/contracts/<slug>.py) holds canned answers in
that partner's own shape for `responses`, plus what the adapter must make of them. The
same flow then runs against the simulator over real HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Mock:
    method: str
    path: str  # relative to the partner's base URL, e.g. "/api/v1/students"
    json: Any
    status: int = 200
    # Keys (with values) the adapter's JSON body must contain.
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContractCase:
    slug: str
    course_code: str
    # Header names that carry credentials: each must be sent, with the configured value
    # somewhere in it.
    auth_headers: tuple[str, ...]
    # operation -> the mocks it needs, in call order (Certiport's enrol is two calls).
    mocks: dict[str, list[Mock]]
    account_id: str
    enrollment_id: str
    progress_percent: int  # what the mocked progress answer means
    certificate_number: str
    certificate_expires_at: datetime | None
    launch_url: str
    # The mocked certificate answer when none is issued yet (None: the partner answers 404).
    no_certificate: Mock | None = None
    # EnrollmentRequest extras for the enrolment (voucher_code, group_code, promo_code).
    request_extras: dict[str, Any] = field(default_factory=dict)
