"""Result reports partners hand back (gradebooks, exam results, card reports): how to read
one row of each into what it says, in our words.

A partner's report layouts live in its package, `partners/<slug>/reports.py`, as a tuple
`MAPPINGS` of `ResultMapping` instances: the columns (with every header spelling we
accept), and `read`, which turns one row into a `ReportRow` or raises `RowInvalid` with
the reason. This module holds the base, the value readers every mapping shares, our own
documented template (`TEMPLATE`, offered for every partner: staff can always copy a
partner's results into it) and the lookup by slug and name. It reads no file and touches
no database: finding the enrollment and applying the event is
`enrollments.services.result_imports`'.

Headers are matched loosely (case, spaces, punctuation: "Course Status", "course_status"
and "COURSE STATUS" are one column); columns we do not know are kept with the row and
otherwise ignored. Dates in text are read US-style (MM/DD/YYYY) as the partners are US
ones; ISO dates always work; a bare date means noon that day where the organisation is,
like a date staff type in the admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from importlib import import_module
from typing import Any

from django.utils import timezone

from partners.events import EventType
from partners.results import CertificateResult


class RowInvalid(ValueError):
    """A row that cannot be used, with the reason staff will read."""


class ColumnsMissing(ValueError):
    """The file lacks columns the mapping cannot do without (named in the message)."""


class UnknownMapping(LookupError):
    pass


def header_key(text: Any) -> str:
    """A header as we compare it: lower case, punctuation and spacing ignored."""
    return re.sub(r"[^a-z0-9]+", " ", str(text or "").casefold()).strip()


@dataclass(frozen=True)
class Column:
    key: str  # our name for it
    headers: tuple[str, ...]  # the spellings we accept; the first is the one we document
    required: bool = False
    help: str = ""

    @property
    def label(self) -> str:
        return self.headers[0]


@dataclass(frozen=True)
class ReportRow:
    """What one row of a report says about one student and course."""

    type: EventType
    account_id: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    # The course as the report names it (code or title); "" when the report names none.
    course: str = ""
    # The partner-side group the row belongs to (CareerSafe group, Certiport exam group).
    group_code: str = ""
    # When the report says it happened; None when it gives no date.
    occurred_at: datetime | None = None
    progress_percent: int | None = None
    score: Decimal | None = None
    passed: bool | None = None
    completed_at: datetime | None = None
    certificate: CertificateResult | None = None
    status: str = ""  # the partner's own word for where the student stands

    def content(self) -> dict[str, Any]:
        """What the row says, as plain values, identity included: the same result read
        from a CSV or an XLSX, or on another day, gives the same content."""

        def plain(value):
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, Decimal):
                return str(value.normalize())
            return value

        cert = self.certificate
        return {
            "type": str(self.type),
            "account_id": self.account_id,
            "email": self.email,
            "name": f"{self.first_name} {self.last_name}".strip(),
            "course": self.course,
            "status": self.status,
            "occurred_at": plain(self.occurred_at),
            "progress_percent": self.progress_percent,
            "score": plain(self.score),
            "passed": self.passed,
            "completed_at": plain(self.completed_at),
            "certificate": None
            if cert is None
            else {
                "number": cert.number,
                "issued_at": plain(cert.issued_at),
                "expires_at": plain(cert.expires_at),
                "url": cert.url,
                "verification_url": cert.verification_url,
            },
        }


# The columns that can say who a row is about; a mapping needs at least one of them.
IDENTITY_KEYS = ("account_id", "email", "full_name", "last_name")


@dataclass(frozen=True)
class ResultMapping:
    """One report layout of one partner. Subclasses declare `columns` and `read`."""

    name: str
    title: str
    description: str = ""
    columns: tuple[Column, ...] = ()
    # The partner's own course names that are not our titles: their name → our code.
    course_names: dict[str, str] = field(default_factory=dict)

    def resolve(self, headers: list[Any]) -> dict[str, int]:
        """Our column key → its position in `headers`; ColumnsMissing names what is not
        there (a required column, or any column saying who the row is about)."""
        positions: dict[str, int] = {}
        found = {header_key(h): i for i, h in reversed(list(enumerate(headers))) if header_key(h)}
        for column in self.columns:
            for spelling in column.headers:
                if header_key(spelling) in found:
                    positions[column.key] = found[header_key(spelling)]
                    break
        missing = [c for c in self.columns if c.required and c.key not in positions]
        problems = [_named(c) for c in missing]
        identity = [c for c in self.columns if c.key in IDENTITY_KEYS]
        if identity and not any(c.key in positions for c in identity):
            problems.append(
                "one column saying who the student is: " + " or ".join(_named(c) for c in identity)
            )
        if problems:
            raise ColumnsMissing(
                f"The file is not a {self.title}: missing column(s) " + "; ".join(problems) + "."
            )
        return positions

    def read(self, values: dict[str, Any]) -> ReportRow:
        """One row (our column key → the cell) as a ReportRow; RowInvalid says why not."""
        raise NotImplementedError

    def course_code(self, course: str) -> str:
        """The partner's course name mapped to our code where it differs (else as given)."""
        aliases = {header_key(k): v for k, v in self.course_names.items()}
        return aliases.get(header_key(course), course)

    def identity(self, values: dict[str, Any]) -> dict[str, str]:
        """Who the row is about, from the identity columns a mapping shares."""
        first, last = text(values.get("first_name")), text(values.get("last_name"))
        if not (first or last) and text(values.get("full_name")):
            first, last = split_name(text(values["full_name"]))
        out = {
            "account_id": text(values.get("account_id")),
            "email": text(values.get("email")).lower(),
            "first_name": first,
            "last_name": last,
        }
        if not (out["account_id"] or out["email"] or out["last_name"]):
            raise RowInvalid("the row says nothing about who the student is")
        if out["email"] and not EMAIL.fullmatch(out["email"]):
            raise RowInvalid(f"e-mail {out['email']!r:.60} is not an e-mail address")
        return out


def _named(column: Column) -> str:
    others = column.headers[1:]
    return f"{column.label!r}" + (f" (or {', '.join(repr(h) for h in others)})" if others else "")


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# Value readers: a cell from a CSV is text, from an XLSX it may be a number or a date.


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an id typed into Excel comes back as 1234.0
    return re.sub(r"\s+", " ", str(value)).strip()


def split_name(name: str) -> tuple[str, str]:
    """'Last, First' or 'First Last' → (first, last)."""
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.rpartition(" ")
    return (first.strip(), last.strip()) if first else ("", name.strip())


DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%m-%d-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d %b %Y",
)
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p")


def parse_date(value: Any, column: str, *, future: bool = False) -> datetime | None:
    """A date or date-time cell as an aware datetime (a bare date: noon that day), None
    when empty; RowInvalid for anything else, or (unless `future`, e.g. an expiry) a date
    in the future."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        when = value if timezone.is_aware(value) else timezone.make_aware(value)
        if value.time() == time(0) and timezone.is_naive(value):
            when = timezone.make_aware(datetime.combine(value.date(), time(12)))
    elif isinstance(value, date):
        when = timezone.make_aware(datetime.combine(value, time(12)))
    else:
        when = _parse_date_text(text(value), column)
    if not future and when > timezone.now() + timedelta(days=1):
        raise RowInvalid(f"{column} {when:%Y-%m-%d} is in the future")
    return when


US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _parse_date_text(value: str, column: str) -> datetime:
    bad = RowInvalid(f"{column} {value!r:.40} is not a date (MM/DD/YYYY or YYYY-MM-DD)")
    us = US_DATE.fullmatch(value)
    if us:  # the usual case, read without strptime (a report has thousands)
        month, day, year = (int(part) for part in us.groups())
        try:
            return timezone.make_aware(datetime.combine(date(year, month, day), time(12)))
        except ValueError:
            raise bad from None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is not None:
        if parsed.tzinfo is not None:
            return parsed
        if len(value) <= 10:  # a bare date
            return timezone.make_aware(datetime.combine(parsed.date(), time(12)))
        return timezone.make_aware(parsed)
    formats = DATE_FORMATS
    if ":" in value:  # a date and a time
        formats = tuple(f"{d} {t}" for d in DATE_FORMATS for t in TIME_FORMATS)
    for pattern in formats:
        try:
            moment = datetime.strptime(value, pattern)
        except ValueError:
            continue
        if ":" not in value:
            moment = datetime.combine(moment.date(), time(12))
        return timezone.make_aware(moment)
    raise bad


def parse_number(value: Any, column: str, *, low: Decimal, high: Decimal) -> Decimal | None:
    """A number within [low, high], None when empty. '85%' reads as 85."""
    if value in (None, ""):
        return None
    raw = text(value).rstrip("%").strip().replace(",", "")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise RowInvalid(f"{column} {text(value)!r:.40} is not a number") from None
    if not number.is_finite() or not low <= number <= high:
        raise RowInvalid(f"{column} {text(value)!r:.40} is out of range ({low} to {high})")
    return number.quantize(Decimal("0.01")).normalize() if number % 1 else Decimal(int(number))


def parse_percent(value: Any, column: str) -> int | None:
    number = parse_number(value, column, low=Decimal(0), high=Decimal(100))
    return None if number is None else int(number)


YES = {"yes", "y", "true", "1", "pass", "passed", "p"}
NO = {"no", "n", "false", "0", "fail", "failed", "f"}


def parse_result(value: Any, column: str) -> bool | None:
    """Pass/fail, yes/no, true/false; None when empty."""
    word = header_key(value)
    if not word:
        return None
    if word in YES:
        return True
    if word in NO:
        return False
    raise RowInvalid(f"{column} {text(value)!r:.40} is not pass/fail or yes/no")


def certificate(
    number: Any,
    *,
    issued_at: datetime | None,
    expires_at: datetime | None = None,
    url: Any = "",
    verification_url: Any = "",
) -> CertificateResult | None:
    """The certificate a row reports, None when it gives no number."""
    number = text(number)
    if not number:
        if expires_at is not None:
            raise RowInvalid("an expiry date without a certificate or card number")
        return None
    if issued_at is None:
        raise RowInvalid(f"certificate {number!r:.40} has no issue date")
    if expires_at is not None and expires_at <= issued_at:
        raise RowInvalid(f"certificate {number!r:.40} expires before it was issued")
    return CertificateResult(
        number=number[:128],
        issued_at=issued_at,
        expires_at=expires_at,
        url=text(url),
        verification_url=text(verification_url),
    )


def outcome_type(*, completed: bool, passed: bool | None, cert: CertificateResult | None):
    if passed is False and (completed or cert is not None):
        raise RowInvalid("a failed result cannot be a completion or carry a certificate")
    if cert is not None:
        return EventType.CERTIFICATE_ISSUED
    return EventType.COURSE_COMPLETED if completed else EventType.PROGRESS_UPDATED


# Our own template: any partner's results copied into it by staff, and what we ask
# partners without a report of their own (JRI, NDS) to send.

TEMPLATE_STATUSES = {
    "not started": (False, None),
    "in progress": (False, None),
    "completed": (True, None),
    "passed": (True, True),
    "failed": (False, False),
}


@dataclass(frozen=True)
class TemplateMapping(ResultMapping):
    name: str = "template"
    title: str = "Partner Hub results template"
    description: str = (
        "Our own CSV/XLSX template: one row per student and course. Status is one of "
        "Not Started, In Progress, Completed, Passed, Failed."
    )
    columns: tuple[Column, ...] = (
        Column("account_id", ("Account ID", "Partner Account ID", "Learner ID", "User ID")),
        Column("email", ("Email", "E-mail", "Email Address")),
        Column("first_name", ("First Name", "Given Name")),
        Column("last_name", ("Last Name", "Surname", "Family Name")),
        Column("course", ("Course Code", "Course"), required=True),
        Column("status", ("Status",), required=True),
        Column("progress", ("Progress", "Progress Percent", "Percent Complete")),
        Column("score", ("Score",), help="0-100"),
        Column("completed_on", ("Completed On", "Completion Date", "Date")),
        Column("certificate_number", ("Certificate Number", "Certificate ID")),
        Column("issued_on", ("Issued On", "Issue Date")),
        Column("expires_on", ("Expires On", "Expiration Date", "Expiry Date")),
        Column("verification_url", ("Verification URL",)),
    )

    def read(self, values: dict[str, Any]) -> ReportRow:
        who = self.identity(values)
        status = header_key(values.get("status"))
        if status not in TEMPLATE_STATUSES:
            raise RowInvalid(
                f"Status {text(values.get('status'))!r:.40} is not one of Not Started, "
                "In Progress, Completed, Passed, Failed"
            )
        completed, passed = TEMPLATE_STATUSES[status]
        when = parse_date(values.get("completed_on"), "Completed On")
        issued = parse_date(values.get("issued_on"), "Issued On")
        cert = certificate(
            values.get("certificate_number"),
            issued_at=issued or (when if completed else None),
            expires_at=parse_date(values.get("expires_on"), "Expires On", future=True),
            verification_url=values.get("verification_url"),
        )
        progress = parse_percent(values.get("progress"), "Progress")
        if completed and when is None:
            raise RowInvalid(f"Status {text(values.get('status'))} needs a Completed On date")
        return ReportRow(
            type=outcome_type(completed=completed, passed=passed, cert=cert),
            **who,
            course=self.course_code(text(values.get("course"))),
            occurred_at=when or issued,
            progress_percent=min(progress, 99)
            if progress is not None and not completed
            else progress,
            score=parse_number(values.get("score"), "Score", low=Decimal(0), high=Decimal(100)),
            passed=passed,
            completed_at=when if completed else None,
            certificate=cert,
            status=text(values.get("status")),
        )


TEMPLATE = TemplateMapping()


def mappings_for(slug: str) -> tuple[ResultMapping, ...]:
    """The report layouts of a partner: its package's `reports.MAPPINGS` (the package is
    the one its registry entry's adapter lives in), then our template."""
    from partners import registry

    package = registry.entry(slug).adapter.rsplit(".", 2)[0]
    try:
        module = import_module(f"{package}.reports")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.reports":
            raise
        own: tuple[ResultMapping, ...] = ()
    else:
        own = tuple(module.MAPPINGS)
    return (*own, *(() if TEMPLATE in own else (TEMPLATE,)))


def mapping_for(slug: str, name: str = "") -> ResultMapping:
    """The partner's mapping called `name` (its first one when empty); UnknownMapping
    lists the names there are."""
    found = mappings_for(slug)
    if not name:
        return found[0]
    for mapping in found:
        if mapping.name == name:
            return mapping
    raise UnknownMapping(
        f"{slug} has no result mapping {name!r}: use one of " + ", ".join(m.name for m in found)
    )
