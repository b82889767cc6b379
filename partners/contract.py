"""What a partner package declares about its partner's API, and how partner values are read.

An adapter (`partners/<slug>/adapter.py`) names its partner's paths and field names in the
small tables below; the base (`partners/base.py`) runs every call from them. A name left
empty is a field the partner does not have. Dotted names ("exam.score") reach into a
nested object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


@dataclass(frozen=True)
class Paths:
    """Paths under the partner's base URL; `{id}` is the partner's enrollment id and
    `{number}` a certificate number."""

    create_account: str
    enroll: str
    progress: str
    certificate: str
    sso_launch: str
    verify_certificate: str = ""


@dataclass(frozen=True)
class AccountFields:
    """The account call: the names the partner takes for our student, then the names in
    its answer."""

    first_name: str
    last_name: str
    email: str
    external_ref: str
    id: str
    username: str = ""
    login_url: str = ""
    # Where a new account's one-time password comes: handed on once, never kept in `raw`.
    temporary_password: str = ""


@dataclass(frozen=True)
class EnrollmentFields:
    """The enrolment call: the names the partner takes, then the names in its answer."""

    account_id: str
    course_code: str
    reference: str
    id: str
    status: str
    # The partner's statuses that mean the enrolment is live there (EnrollmentState.ACTIVE);
    # any other is EnrollmentState.SUBMITTED.
    active: frozenset[str]
    launch_url: str = ""
    # EnrollmentRequest extras the partner takes (voucher_code, group_code, promo_code) →
    # its name for each; sent (trimmed) only when the request has one.
    extras: Mapping[str, str] = field(default_factory=dict)


class ProgressState(StrEnum):
    """What a partner's progress status means to us. A status a partner has not told us
    about is UNKNOWN: started only when some progress shows, never completed."""

    NOT_STARTED = "not_started"
    STARTED = "started"  # under way, or stopped unfinished (a lapsed or failed course)
    COMPLETED = "completed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ProgressFields:
    status: str
    states: Mapping[str, ProgressState]
    percent: str = ""
    score: str = ""
    # A true/false field, or one read through `passed_values` (partner value → passed).
    passed: str = ""
    passed_values: Mapping[str, bool] = field(default_factory=dict)
    completed_at: str = ""
    # Keep an unfinished course below 100 % when the partner's figure says 100 (for a
    # partner whose 100 can come before its finish line); otherwise the figure is kept.
    unfinished_below_100: bool = False


@dataclass(frozen=True)
class CertificateFields:
    number: str
    issued_at: str
    expires_at: str = ""
    url: str = ""
    verification_url: str = ""
    # A partner that answers "not issued yet" with a 200 names its status field and the
    # value meaning issued; for it a 404 means the enrollment is unknown. Others answer
    # 404 until the certificate exists.
    status: str = ""
    issued: str = ""


@dataclass(frozen=True)
class LaunchFields:
    """The SSO launch call: the names the partner takes, then the names in its answer."""

    account_id: str
    enrollment_id: str
    url: str
    expires_at: str = ""  # a date-time
    expires_in: str = ""  # or a lifetime in seconds
    # A bearer token the answer also carries; it signs in like the URL, so it is dropped.
    token: str = ""


def lookup(body: Mapping[str, Any], name: str) -> Any:
    """body[name], following dots into nested objects; None where anything is missing."""
    if not name:
        return None
    value: Any = body
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def parse_when(value: Any) -> datetime | None:
    """ISO 8601 date-time or date (as midnight UTC); naive times are taken as UTC. None
    for anything else, a well-formed but impossible date (2026-02-30) included."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, timezone.UTC)
    text = str(value)
    try:
        when = parse_datetime(text)
        if when is None:
            day = parse_date(text)
            if day is None:
                return None
            when = datetime(day.year, day.month, day.day)
    except ValueError:
        return None
    return when if timezone.is_aware(when) else timezone.make_aware(when, timezone.UTC)


def to_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def clamp_percent(value: Any) -> int | None:
    """A percentage from a partner, as an int within 0-100 (None when absent or junk)."""
    if value is None or value == "":
        return None
    try:
        return max(0, min(100, round(float(value))))
    except (TypeError, ValueError, OverflowError):  # junk, NaN, infinity
        return None
