"""Voucher stock: added in bulk by staff, taken atomically when an enrollment needs one,
released on cancel, spent on completion, expired by date.

"Usable" has one definition here (`vouchers_usable`: available and not past its expiry):
`voucher_take` takes from it, the stock page counts it and the low-stock alert
(monitoring/rules.py) counts it, so the three never disagree.

A bulk add is previewed first (`vouchers_preview` writes nothing) and then confirmed
(`vouchers_add`): every valid line is written in one transaction, every other line is
reported with its reason, and a batch reference makes a confirm sent twice add nothing.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from enrollments.models import Enrollment, Voucher, VoucherStatus
from enrollments.services.errors import NoVoucherAvailable
from partners.models import Partner, PartnerCourse

MAX_BATCH = 10_000  # lines or credits in one bulk add
CSV_COLUMNS = ("code", "cost", "expires_at", "course")
EXPIRING_DAYS = 30  # the stock page's "expiring soon"


def vouchers_usable(*, now: datetime | None = None) -> QuerySet[Voucher]:
    """Vouchers an enrollment can take: available and not past their expiry."""
    now = now or timezone.now()
    return Voucher.objects.filter(status=VoucherStatus.AVAILABLE).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def vouchers_usable_per_partner(*, partner_ids, now: datetime | None = None) -> dict[int, int]:
    """Usable vouchers per partner (any course): what the low-stock alert compares."""
    return dict(
        vouchers_usable(now=now)
        .filter(partner_id__in=partner_ids)
        .values("partner_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("partner_id", "n")
    )


def voucher_take(*, enrollment: Enrollment) -> Voucher:
    """Assign an available voucher of the course's partner to `enrollment`. Call inside
    the transaction that creates the enrollment: the row lock (skipping rows another
    transaction holds) makes two enrollments never take the same voucher."""
    course = enrollment.course
    now = timezone.now()
    voucher = (
        vouchers_usable(now=now)
        .select_for_update(skip_locked=True)
        .filter(partner_id=course.partner_id)
        .filter(Q(course=course) | Q(course__isnull=True))
        # A voucher for exactly this course first, then the soonest to expire.
        .order_by(F("course_id").asc(nulls_last=True), F("expires_at").asc(nulls_last=True), "pk")
        .first()
    )
    if voucher is None:
        raise NoVoucherAvailable(
            f"No {course.partner.name} voucher, credit or seat is left for {course.code}: "
            "add stock under Vouchers, then enrol again."
        )
    voucher.status = VoucherStatus.ASSIGNED
    voucher.enrollment = enrollment
    voucher.assigned_at = now
    voucher.save(update_fields=["status", "enrollment", "assigned_at"])
    return voucher


def voucher_release(*, enrollment: Enrollment) -> Voucher | None:
    """Put an assigned (not redeemed) voucher back in stock."""
    voucher = (
        Voucher.objects.select_for_update()
        .filter(enrollment=enrollment, status=VoucherStatus.ASSIGNED)
        .first()
    )
    if voucher is None:
        return None
    voucher.status = VoucherStatus.AVAILABLE
    voucher.enrollment = None
    voucher.assigned_at = None
    voucher.save(update_fields=["status", "enrollment", "assigned_at"])
    return voucher


def voucher_redeem(*, enrollment: Enrollment) -> None:
    """The course is done: the voucher is spent."""
    Voucher.objects.filter(enrollment=enrollment, status=VoucherStatus.ASSIGNED).update(
        status=VoucherStatus.REDEEMED, redeemed_at=timezone.now()
    )


def vouchers_expire(*, now: datetime | None = None) -> int:
    """Scheduled: available vouchers past their expiry become `expired`. One already
    handed to a student (assigned) is left alone: the student may still use it."""
    now = now or timezone.now()
    return Voucher.objects.filter(
        status=VoucherStatus.AVAILABLE, expires_at__isnull=False, expires_at__lte=now
    ).update(status=VoucherStatus.EXPIRED)


# --- Stock -------------------------------------------------------------------------------


@dataclass
class StockRow:
    partner: Partner
    course: PartnerCourse | None  # None: good for any of the partner's courses
    available: int = 0  # usable: available and unexpired
    assigned: int = 0
    redeemed: int = 0
    expired: int = 0  # marked expired, or available but past its date (job not run yet)
    void: int = 0
    expiring_soon: int = 0  # usable, expiring within EXPIRING_DAYS


def voucher_stock(*, now: datetime | None = None) -> list[StockRow]:
    """Stock per partner and course, partners by name, "any course" first."""
    now = now or timezone.now()
    soon = now + timedelta(days=EXPIRING_DAYS)
    past = Q(expires_at__isnull=False, expires_at__lte=now)
    available = Q(status=VoucherStatus.AVAILABLE)
    rows = (
        Voucher.objects.values("partner_id", "course_id")
        .annotate(
            available=Count("pk", filter=available & ~past),
            assigned=Count("pk", filter=Q(status=VoucherStatus.ASSIGNED)),
            redeemed=Count("pk", filter=Q(status=VoucherStatus.REDEEMED)),
            expired=Count("pk", filter=Q(status=VoucherStatus.EXPIRED) | (available & past)),
            void=Count("pk", filter=Q(status=VoucherStatus.VOID)),
            expiring_soon=Count(
                "pk", filter=available & Q(expires_at__gt=now, expires_at__lte=soon)
            ),
        )
        .order_by()
    )
    rows = list(rows)
    partners = Partner.objects.in_bulk({r["partner_id"] for r in rows})
    courses = PartnerCourse.objects.in_bulk({r["course_id"] for r in rows if r["course_id"]})
    stock = [
        StockRow(
            partner=partners[r.pop("partner_id")],
            course=courses.get(r.pop("course_id")),
            **r,
        )
        for r in rows
    ]
    # A course that needs a voucher and has none of its own shows as an empty row.
    present = {(s.partner.pk, s.course.pk if s.course else None) for s in stock}
    for course in (
        PartnerCourse.objects.active().filter(needs_voucher=True).select_related("partner")
    ):
        if (course.partner_id, course.pk) not in present:
            stock.append(StockRow(partner=course.partner, course=course))
    return sorted(
        stock,
        key=lambda s: (s.partner.name, s.course is not None, s.course.code if s.course else ""),
    )


# --- Bulk add ----------------------------------------------------------------------------


class VoucherBatchError(Exception):
    """A bulk add that cannot be written as asked (already confirmed, or raced)."""


@dataclass(frozen=True)
class VoucherLine:
    """One voucher a bulk add will write (line 0: a code-less credit)."""

    line: int
    code: str
    cost: Decimal
    expires_at: datetime | None
    course: PartnerCourse | None


@dataclass(frozen=True)
class RejectedLine:
    line: int
    text: str
    reason: str


@dataclass
class VoucherBatch:
    """What a bulk add will do (preview) or did (after `vouchers_add`)."""

    partner: Partner
    batch: str
    to_add: list[VoucherLine] = field(default_factory=list)
    duplicates: list[RejectedLine] = field(default_factory=list)  # already in stock
    invalid: list[RejectedLine] = field(default_factory=list)
    added: int = 0

    @property
    def rejected(self) -> list[RejectedLine]:
        return sorted(self.duplicates + self.invalid, key=lambda r: r.line)


def vouchers_preview(
    *,
    partner: Partner,
    course: PartnerCourse | None = None,
    codes: str | None = None,
    count: int | None = None,
    cost: Decimal | None = None,
    expires_at: datetime | None = None,
    batch: str | None = None,
) -> VoucherBatch:
    """Read a bulk add without writing anything. `codes`: one code a line, or CSV with
    the columns code[,cost][,expires_at][,course] (a header row names them in any order;
    without one they are taken in that order). A line's own cost, expiry and course win
    over the arguments. `count`: that many code-less credits or seats instead."""
    if (codes is None) == (count is None):
        raise ValueError("Give either codes or a count.")
    if course is not None and course.partner_id != partner.pk:
        raise ValueError(f"{course.code} is not in {partner.name}'s catalogue.")
    result = VoucherBatch(partner=partner, batch=batch or uuid.uuid4().hex)
    now = timezone.now()
    if count is not None:
        if not 1 <= count <= MAX_BATCH:
            raise ValueError(f"Add between 1 and {MAX_BATCH} credits at a time.")
        if cost is None:
            raise ValueError("A cost is needed for credits and seats.")
        if expires_at is not None and expires_at <= now:
            raise ValueError("That expiry is already past.")
        result.to_add = [
            VoucherLine(line=0, code="", cost=cost, expires_at=expires_at, course=course)
        ] * count
        return result
    _read_codes(result, codes, course=course, cost=cost, expires_at=expires_at, now=now)
    return result


def vouchers_add(*, added_by, **preview) -> VoucherBatch:
    """Preview (same arguments as `vouchers_preview`, with the preview's `batch`), then
    write every valid line in one transaction. Lines already stocked, or invalid, are
    reported on the result and written nowhere. A batch already written is refused."""
    with transaction.atomic():
        # One bulk add per partner at a time, so a confirm sent twice at once is seen.
        Partner.objects.select_for_update().filter(pk=preview["partner"].pk).first()
        result = vouchers_preview(**preview)
        if Voucher.objects.filter(batch=result.batch).exists():
            raise VoucherBatchError("This batch was already added: nothing was added again.")
        rows = [
            Voucher(
                partner=result.partner,
                course=line.course,
                code=line.code,
                cost=line.cost,
                expires_at=line.expires_at,
                batch=result.batch,
                added_by=added_by,
            )
            for line in result.to_add
        ]
        try:
            with transaction.atomic():
                Voucher.objects.bulk_create(rows, batch_size=1000)
        except IntegrityError as exc:
            raise VoucherBatchError(
                "Some of these codes were added by someone else meanwhile: nothing was "
                "added. Preview again."
            ) from exc
        result.added = len(rows)
    return result


def _read_codes(result, text, *, course, cost, expires_at, now) -> None:
    rows = [
        (number, row)
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(cell.strip() for cell in row)
    ]
    columns = list(CSV_COLUMNS)
    if rows and rows[0][1] and rows[0][1][0].strip().lower() == "code":
        header = [cell.strip().lower() for cell in rows.pop(0)[1]]
        unknown = [name for name in header if name not in CSV_COLUMNS]
        if unknown:
            raise ValueError(
                f"Unknown column(s) {', '.join(unknown)}: the columns are {', '.join(CSV_COLUMNS)}."
            )
        columns = header
    if len(rows) > MAX_BATCH:
        raise ValueError(f"{len(rows)} lines: add at most {MAX_BATCH} at a time.")
    catalogue = {c.code.lower(): c for c in PartnerCourse.objects.filter(partner=result.partner)}
    seen: dict[str, int] = {}
    valid: list[VoucherLine] = []
    for number, row in rows:
        text_line = ",".join(row)
        if len(row) > len(columns):
            result.invalid.append(
                RejectedLine(number, text_line, f"more than {len(columns)} column(s)")
            )
            continue
        values = {name: cell.strip() for name, cell in zip(columns, row, strict=False)}
        line, reason = _read_line(
            values,
            catalogue,
            course=course,
            cost=cost,
            expires_at=expires_at,
            now=now,
            number=number,
        )
        if line is not None and line.code in seen:
            reason = f"the code is in this file twice (first on line {seen[line.code]})"
        if reason:
            result.invalid.append(RejectedLine(number, text_line, reason))
            continue
        seen[line.code] = number
        valid.append(line)
    stocked = set(
        Voucher.objects.filter(
            partner=result.partner, code__in=[v.code for v in valid]
        ).values_list("code", flat=True)
    )
    for line in valid:
        if line.code in stocked:
            result.duplicates.append(
                RejectedLine(line.line, line.code, "already in stock for this partner")
            )
        else:
            result.to_add.append(line)


def _read_line(values, catalogue, *, course, cost, expires_at, now, number):
    code = values.get("code", "")
    if not code:
        return None, "no code"
    if len(code) > 128:
        return None, "the code is longer than 128 characters"
    if values.get("course"):
        course = catalogue.get(values["course"].lower())
        if course is None:
            return None, f"unknown course {values['course']!r} for this partner"
    if values.get("cost"):
        cost = _cost(values["cost"])
        if cost is None:
            return None, f"bad cost {values['cost']!r} (a number of at most 2 decimals, 0 or more)"
    if cost is None:
        return None, "no cost: give one in the form or a cost column"
    if values.get("expires_at"):
        expires_at = _expiry(values["expires_at"])
        if expires_at is None:
            return None, (f"bad date {values['expires_at']!r} (YYYY-MM-DD, MM/DD/YYYY or ISO 8601)")
    if expires_at is not None and expires_at <= now:
        return None, "already expired"
    return VoucherLine(number, code, cost, expires_at, course), None


def _cost(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace("$", "").replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        return None
    if value >= Decimal("1e8"):  # max_digits=10, decimal_places=2
        return None
    return value


def expiry_of_date(day: date) -> datetime:
    """A voucher dated `day` is good through that day: it expires at the next midnight."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _expiry(text: str) -> datetime | None:
    try:
        day = parse_date(text)
        if day is None and text.count("/") == 2:
            month, dd, year = (int(part) for part in text.split("/"))
            day = date(year, month, dd)
        if day is not None:
            return expiry_of_date(day)
        moment = parse_datetime(text)
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment
