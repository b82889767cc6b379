"""Voucher stock: bulk add through the admin (preview writes nothing, confirm writes every
valid line at once, bad lines reported), the add permission, expiry by date, the stock
page and the low-stock alert counting the same thing, and enrolments taking vouchers
concurrently on PostgreSQL."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection
from django.utils import timezone

from enrollments.models import EnrollmentStatus, Voucher, VoucherStatus
from enrollments.services import NoVoucherAvailable, enrollment_cancel, enrollment_create
from enrollments.services.vouchers import vouchers_add, vouchers_expire, vouchers_preview
from enrollments.tasks import expire_vouchers
from monitoring.rules import RULES, RuleContext
from partners.models import PartnerCourse
from tests.factories import make_student, make_voucher

BULK_ADD = "/admin/enrollments/voucher/bulk-add/"
STOCK = "/admin/enrollments/voucher/stock/"
CHANGELIST = "/admin/enrollments/voucher/"


@pytest.fixture(autouse=True)
def manual_partners(settings):
    settings.PARTNER_SIMULATOR = False  # realistic modes: nothing is sent to a partner


@pytest.fixture
def course(catalogue) -> PartnerCourse:
    return PartnerCourse.objects.select_related("partner").get(code="MO-210")


def staff(*codenames: str) -> User:
    user = User.objects.create_user(f"staff{User.objects.count()}", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="enrollments", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)


def later(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def pasted(course) -> str:
    """Two good lines, and one line of every kind of trouble."""
    return "\n".join(
        [
            "code,cost,expires_at,course",
            f"CP-NEW-1,96.00,{later(200)},{course.code}",
            "CP-NEW-2,96,,",
            "CP-STOCKED,96,,",  # already in stock
            "CP-BAD-DATE,96,2026-02-31,",
            "CP-BAD-COST,ninety,,",
            "CP-NEG-COST,-5,,",
            "CP-NO-COURSE,96,,NOPE-1",
            "CP-NEW-1,96,,",  # the file's own duplicate
            f"CP-OLD,96,{later(-3)},",
        ]
    )


def form(target, **extra) -> dict:
    return {"partner": target.partner.pk, "course": "", "cost": "", "expires_on": ""} | extra


def test_preview_reports_every_line_and_writes_nothing(client, course):
    make_voucher(partner=course.partner, code="CP-STOCKED", cost=96)
    client.force_login(staff("add_voucher", "view_voucher"))

    page = client.post(BULK_ADD, form(course, codes=pasted(course)))

    assert page.status_code == 200
    preview = page.context["preview"]
    assert [line.code for line in preview.to_add] == ["CP-NEW-1", "CP-NEW-2"]
    assert [(r.line, r.reason) for r in preview.duplicates] == [
        (4, "already in stock for this partner")
    ]
    reasons = {r.line: r.reason for r in preview.invalid}
    assert reasons[5].startswith("bad date '2026-02-31'")
    assert reasons[6].startswith("bad cost 'ninety'")
    assert reasons[7].startswith("bad cost '-5'")
    assert reasons[8] == "unknown course 'NOPE-1' for this partner"
    assert reasons[9] == "the code is in this file twice (first on line 2)"
    assert reasons[10] == "already expired"
    assert b"2 vouchers will be added" in page.content.replace(b"</strong>", b"").replace(
        b"<strong>", b""
    )
    assert Voucher.objects.count() == 1  # the one stocked before


def test_confirm_writes_the_valid_lines_once_and_reports_the_others(client, course):
    make_voucher(partner=course.partner, code="CP-STOCKED", cost=96)
    user = staff("add_voucher", "view_voucher")
    client.force_login(user)
    preview = client.post(BULK_ADD, form(course, codes=pasted(course))).context["preview"]

    done = client.post(
        BULK_ADD, form(course, codes=pasted(course), batch=preview.batch, confirm="1")
    )

    assert done.status_code == 302 and done["Location"] == f"{CHANGELIST}?batch={preview.batch}"
    added = Voucher.objects.filter(batch=preview.batch).order_by("code")
    assert [(v.code, v.cost, v.added_by) for v in added] == [
        ("CP-NEW-1", Decimal("96.00"), user),
        ("CP-NEW-2", Decimal("96.00"), user),
    ]
    first = added[0]
    assert first.course == course and timezone.localtime(first.expires_at).date() == (
        timezone.localdate() + timedelta(days=201)  # good through the 200th day
    )
    assert added[1].course is None and added[1].expires_at is None
    shown = [str(m) for m in client.get(done["Location"]).context["messages"]]
    assert any("Added 2 voucher(s)" in m for m in shown)
    [warning] = [m for m in shown if "not added" in m]
    assert warning.startswith("7 line(s) not added: line 4 (CP-STOCKED): already in stock")
    assert "line 8 (CP-NO-COURSE,96,,NOPE-1): unknown course" in warning

    # The same confirm again (a double click, a reload): nothing more is added.
    again = client.post(
        BULK_ADD, form(course, codes=pasted(course), batch=preview.batch, confirm="1")
    )
    assert again.status_code == 200
    assert "already added" in str(again.context["form"].non_field_errors())
    assert Voucher.objects.count() == 3


def test_an_uploaded_csv_is_previewed_then_confirmed_from_the_preview_page(client, course):
    client.force_login(staff("add_voucher", "view_voucher"))
    upload = SimpleUploadedFile("codes.csv", b"\xef\xbb\xbfCP-F-1\nCP-F-2\n\nCP-F-3\n")

    page = client.post(BULK_ADD, form(course, cost="80", file=upload))

    carried = page.context["form"]
    assert [v.code for v in page.context["preview"].to_add] == ["CP-F-1", "CP-F-2", "CP-F-3"]
    assert not Voucher.objects.exists()
    # The preview page carries the file's text and the batch in its (hidden) form.
    client.post(BULK_ADD, {**carried.data.dict(), "confirm": "1"})
    assert sorted(Voucher.objects.values_list("code", "cost")) == [
        ("CP-F-1", Decimal("80.00")),
        ("CP-F-2", Decimal("80.00")),
        ("CP-F-3", Decimal("80.00")),
    ]


def test_code_less_credits_with_a_cost_and_an_expiry(client, course):
    client.force_login(staff("add_voucher", "view_voucher"))
    data = form(course, count="12", cost="45.50", expires_on=later(90), course=course.pk)

    preview = client.post(BULK_ADD, data).context["preview"]
    assert len(preview.to_add) == 12 and not Voucher.objects.exists()
    client.post(BULK_ADD, data | {"batch": preview.batch, "confirm": "1"})

    credits = Voucher.objects.filter(batch=preview.batch)
    assert credits.count() == 12
    assert set(credits.values_list("code", "cost", "course", "status")) == {
        ("", Decimal("45.50"), course.pk, VoucherStatus.AVAILABLE)
    }


def test_a_form_that_asks_for_nothing_or_both_is_refused(client, course):
    client.force_login(staff("add_voucher", "view_voucher"))
    for data in (form(course), form(course, codes="CP-1", count="3", cost="1")):
        page = client.post(BULK_ADD, data)
        assert "one of the two" in str(page.context["form"].non_field_errors())
    other = PartnerCourse.objects.exclude(partner=course.partner).first()
    page = client.post(BULK_ADD, form(course, codes="CP-1", cost="1", course=other.pk))
    assert "not in" in str(page.context["form"].errors["course"])
    assert not Voucher.objects.exists()


def test_staff_without_add_voucher_see_no_button_and_cannot_post(client, course):
    client.force_login(staff("view_voucher"))

    changelist = client.get(CHANGELIST)
    assert changelist.status_code == 200
    assert BULK_ADD.encode() not in changelist.content
    assert STOCK.encode() in changelist.content  # reading the stock is theirs
    assert client.get(BULK_ADD).status_code == 403
    data = form(course, count="5", cost="10", batch="forged", confirm="1")
    assert client.post(BULK_ADD, data).status_code == 403
    assert not Voucher.objects.exists()

    client.force_login(staff("view_voucher", "add_voucher"))
    assert BULK_ADD.encode() in client.get(CHANGELIST).content
    assert client.get(BULK_ADD).status_code == 200


def test_a_confirm_writes_everything_or_nothing(course, monkeypatch):
    """One transaction: a failure part-way through the insert leaves no voucher behind."""
    from django.db import IntegrityError

    real = Voucher.objects.bulk_create

    def half_then_fail(rows, **kw):
        real(rows[: len(rows) // 2], **kw)
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(Voucher.objects, "bulk_create", half_then_fail)
    from enrollments.services.vouchers import VoucherBatchError

    with pytest.raises(VoucherBatchError, match="nothing was added"):
        vouchers_add(partner=course.partner, codes="A\nB\nC\nD", cost=Decimal(1), added_by=None)
    assert not Voucher.objects.exists()


def test_a_code_stocked_between_preview_and_confirm_is_reported_not_doubled(course):
    preview = vouchers_preview(partner=course.partner, codes="X-1\nX-2", cost=Decimal(5))
    make_voucher(partner=course.partner, code="X-2")

    result = vouchers_add(
        partner=course.partner,
        codes="X-1\nX-2",
        cost=Decimal(5),
        batch=preview.batch,
        added_by=None,
    )
    assert result.added == 1 and [r.text for r in result.duplicates] == ["X-2"]


def test_past_their_date_vouchers_expire_and_are_never_taken(course, monkeypatch):
    past = make_voucher(partner=course.partner, expires_at=timezone.now() - timedelta(hours=1))
    future = make_voucher(partner=course.partner, expires_at=timezone.now() + timedelta(days=1))
    handed_out = make_voucher(partner=course.partner, status=VoucherStatus.ASSIGNED)
    Voucher.objects.filter(pk=handed_out.pk).update(expires_at=timezone.now() - timedelta(days=1))

    assert expire_vouchers() == 1  # the scheduled task runs the service
    assert vouchers_expire() == 0  # and a second run changes nothing
    statuses = dict(Voucher.objects.values_list("pk", "status"))
    assert statuses == {
        past.pk: VoucherStatus.EXPIRED,
        future.pk: VoucherStatus.AVAILABLE,
        handed_out.pk: VoucherStatus.ASSIGNED,  # the student may still use it
    }
    schedule = django_settings.CELERY_BEAT_SCHEDULE["enrollments-expire-vouchers"]
    assert schedule["task"] == "enrollments.tasks.expire_vouchers"

    enrollment = enrollment_create(student=make_student(), course=course)
    assert enrollment.voucher == future


def test_a_cancelled_enrollment_gives_its_voucher_back(course):
    voucher = make_voucher(partner=course.partner, course=course)
    enrollment = enrollment_create(student=make_student(), course=course)
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.ASSIGNED and voucher.enrollment == enrollment

    enrollment_cancel(enrollment=enrollment)

    voucher.refresh_from_db()
    assert (voucher.status, voucher.enrollment) == (VoucherStatus.AVAILABLE, None)
    assert enrollment_create(student=make_student(), course=course).voucher == voucher


def test_the_stock_page_counts_what_the_low_stock_alert_counts(client, course, settings):
    settings.ALERT_VOUCHER_STOCK_MIN = 100  # so the rule reports its count
    now = timezone.now()
    partner = course.partner
    for _ in range(3):
        make_voucher(partner=partner, course=course)
    make_voucher(partner=partner, course=course, expires_at=now + timedelta(days=10))
    make_voucher(partner=partner)  # any of the partner's courses
    make_voucher(partner=partner, expires_at=now - timedelta(days=1))  # past, not yet marked
    make_voucher(partner=partner, status=VoucherStatus.EXPIRED)
    make_voucher(partner=partner, course=course, status=VoucherStatus.ASSIGNED)
    make_voucher(partner=partner, course=course, status=VoucherStatus.REDEEMED)
    make_voucher(partner=partner, status=VoucherStatus.VOID)
    client.force_login(staff("view_voucher"))

    page = client.get(STOCK)

    assert page.status_code == 200
    [row] = [p for p in page.context["partners"] if p["partner"] == partner]
    by_course = {r.course: r for r in row["rows"]}
    mo = by_course[course]
    assert (mo.available, mo.expiring_soon, mo.assigned, mo.redeemed) == (4, 1, 1, 1)
    anyc = by_course[None]
    assert (anyc.available, anyc.expired, anyc.void) == (1, 2, 1)
    assert row["available"] == 5 and row["expiring_soon"] == 1
    assert b"Add in bulk" not in page.content  # view-only staff

    [finding] = [
        f
        for f in RULES["voucher_stock_low"](RuleContext(now=timezone.now()))
        if f.partner_id == partner.pk
    ]
    assert finding.details["available"] == row["available"]


def test_staff_who_cannot_view_vouchers_do_not_see_the_stock(client, course):
    client.force_login(staff("view_certificate"))
    assert client.get(STOCK).status_code == 403


@pytest.mark.postgres
def test_twenty_concurrent_enrollments_share_ten_vouchers(postgres, course):
    """Row locks that skip locked rows: ten enrolments get a voucher each, the other ten
    the clear error, and no voucher is handed out twice."""
    for n in range(10):
        make_voucher(partner=course.partner, course=course, code=f"CP-RACE-{n}")
    students = [make_student() for _ in range(20)]
    barrier, outcomes, lock = threading.Barrier(20), [], threading.Lock()

    def enrol(student):
        close_old_connections()
        try:
            barrier.wait()
            enrollment_create(student=student, course=course)
            outcome = "enrolled"
        except NoVoucherAvailable as exc:
            outcome = str(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=enrol, args=(s,)) for s in students]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("enrolled") == 10
    refused = [o for o in outcomes if o != "enrolled"]
    assert len(refused) == 10
    assert all("add stock under Vouchers, then enrol again" in o for o in refused)
    vouchers = Voucher.objects.filter(partner=course.partner)
    assert set(vouchers.values_list("status", flat=True)) == {VoucherStatus.ASSIGNED}
    enrollments = list(vouchers.values_list("enrollment_id", flat=True))
    assert len(set(enrollments)) == 10
    assert course.enrollments.exclude(status=EnrollmentStatus.CANCELLED).count() == 10
