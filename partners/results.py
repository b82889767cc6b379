"""What adapters return and take: plain typed data, never models, each result keeping the
partner's raw answer beside the fields derived from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class StudentInfo:
    external_ref: str
    first_name: str
    last_name: str
    email: str
    phone: str = ""


@dataclass(frozen=True)
class AccountResult:
    external_id: str
    username: str = ""
    login_url: str = ""
    # Handed to the student once (e-mail) and never stored.
    temporary_password: str | None = field(default=None, repr=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class EnrollmentState(StrEnum):
    """Where an enrolment stands at the partner once it has answered: live there
    (ACTIVE), or handed over and not yet confirmed (SUBMITTED)."""

    SUBMITTED = "submitted"
    ACTIVE = "active"


@dataclass(frozen=True)
class EnrollmentRequest:
    """One enrolment to make at a partner, in our words; each adapter maps it to its
    partner's field names (EnrollmentFields, or its own `enroll` where it differs)."""

    account_id: str  # the partner's id for the student's account
    course_code: str  # the partner's course code
    reference: str  # our enrollment id
    idempotency_key: str
    voucher_code: str = ""  # a voucher from our stock that pays for it
    group_code: str = ""  # the cohort's partner-side group (group code, exam group)
    promo_code: str = ""


@dataclass(frozen=True)
class EnrollmentResult:
    external_id: str
    status: EnrollmentState = EnrollmentState.SUBMITTED
    launch_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ProgressResult:
    """Completion is `completed`, never inferred from 100 %: a partner may report all
    practice done (100) before the exam is passed. Adapters keep an unfinished enrollment
    below 100 where the partner's figure would say otherwise."""

    progress_percent: int
    completed: bool = False
    started: bool = False
    score: Decimal | None = None
    passed: bool | None = None
    completed_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class CertificateResult:
    number: str
    issued_at: datetime
    expires_at: datetime | None = None
    url: str = ""
    verification_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class LaunchResult:
    url: str
    expires_at: datetime
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class VoucherResult:
    code: str
    course_code: str
    expires_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class GroupEnrollmentItem:
    account_id: str
    enrollment: EnrollmentResult | None = None
    error: str = ""


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    status: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
