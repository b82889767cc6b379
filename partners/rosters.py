"""Roster files: how each partner wants the list of students we send it.

A partner without an API (`roster` mode, DESIGN.md §1) gets its new enrollments as a
spreadsheet. Each partner's layout (columns, headers, how a value is written) is one of
its quirks, so it is declared in its own package, `partners/<slug>/roster.py`, as
`LAYOUT`: the same file name in every package, found from the partner's registry entry
(the adapter's package), never by scanning. A partner with no `roster.py` (a partner
registered at run time, say) gets `GENERIC`, which is labelled as such in the file's
name and in the admin.

This module knows nothing of enrollments (partners imports no other app): the service in
enrollments/services/rosters.py turns each enrollment into a `RosterRow` and a layout
turns the row into cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from partners.registry import UnknownPartner, entry


@dataclass(frozen=True)
class RosterRow:
    """One enrollment as a roster file can show it, in our words."""

    enrollment_id: int
    student_ref: str
    first_name: str
    last_name: str
    email: str
    phone: str
    course_code: str
    course_title: str
    requested_at: datetime
    # The student's account id and username at the partner, when one is known.
    account_id: str = ""
    username: str = ""
    # The cohort's partner-side group code (CareerSafe group, Certiport exam group, NRF
    # site) and its name.
    group_code: str = ""
    cohort_name: str = ""
    voucher_code: str = ""
    promo_code: str = ""
    funding_source: str = ""


@dataclass(frozen=True)
class RosterColumn:
    header: str
    value: Callable[[RosterRow], str]


@dataclass(frozen=True)
class RosterLayout:
    """A partner's roster file: its columns in order, the worksheet's title, and
    whether it is the partner's own format or our generic one (nothing known)."""

    name: str
    columns: tuple[RosterColumn, ...]
    sheet_title: str = "Roster"
    generic: bool = False

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def cells(self, row: RosterRow) -> list[str]:
        return [column.value(row) for column in self.columns]


def field(name: str) -> Callable[[RosterRow], str]:
    """The row's value `name`, as text."""
    return lambda row: str(getattr(row, name) or "")


def us_date(name: str) -> Callable[[RosterRow], str]:
    """A date written MM/DD/YYYY, as US vendors' templates show dates."""
    return lambda row: getattr(row, name).strftime("%m/%d/%Y") if getattr(row, name) else ""


def iso_date(name: str) -> Callable[[RosterRow], str]:
    return lambda row: getattr(row, name).date().isoformat() if getattr(row, name) else ""


def full_name(row: RosterRow) -> str:
    return f"{row.first_name} {row.last_name}".strip()


def column(header: str, name: str) -> RosterColumn:
    return RosterColumn(header, field(name))


# What a partner whose template nobody has seen gets: everything a person at the partner
# needs to enrol each student by hand, and our references, so the results report that
# comes back can be matched (Reference is our enrollment id).
GENERIC = RosterLayout(
    name="Generic roster (the partner's own template is not known)",
    generic=True,
    columns=(
        column("Reference", "enrollment_id"),
        column("Student ID", "student_ref"),
        column("First Name", "first_name"),
        column("Last Name", "last_name"),
        column("Email", "email"),
        column("Phone", "phone"),
        column("Course Code", "course_code"),
        column("Course", "course_title"),
        column("Group Code", "group_code"),
        column("Voucher Code", "voucher_code"),
        RosterColumn("Requested On", iso_date("requested_at")),
    ),
)


def _package(slug: str) -> str:
    # partners.hsi.adapter.HsiAdapter -> partners.hsi
    return entry(slug).adapter.rsplit(".", 2)[0]


def roster_layout(slug: str) -> RosterLayout:
    """The roster layout of partner `slug`: its package's `roster.LAYOUT`; GENERIC for a
    package without one, or a partner row whose slug is no longer registered."""
    try:
        name = f"{_package(slug)}.roster"
    except UnknownPartner:
        return GENERIC
    try:
        module = import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise  # the roster module exists but something it imports does not
        return GENERIC
    return module.LAYOUT


_SAFE_NUMBER = re.compile(r"[+\-]?[\d\s().\-]*")
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """`value` safe to open in a spreadsheet: a text that would start a formula gets a
    leading apostrophe. A phone number such as +1 317 555 0100 is left alone: it is
    digits and punctuation, no formula."""
    if value.startswith(FORMULA_STARTS) and not _SAFE_NUMBER.fullmatch(value):
        return "'" + value
    return value
