"""Voucher stock: taken atomically when an enrollment needs one, released on cancel."""

from __future__ import annotations

from django.db.models import F, Q
from django.utils import timezone

from enrollments.models import Enrollment, Voucher, VoucherStatus
from enrollments.services.errors import NoVoucherAvailable


def voucher_take(*, enrollment: Enrollment) -> Voucher:
    """Assign an available voucher of the course's partner to `enrollment`. Call inside
    the transaction that creates the enrollment: the row lock (skipping rows another
    transaction holds) makes two enrollments never take the same voucher."""
    course = enrollment.course
    now = timezone.now()
    voucher = (
        Voucher.objects.select_for_update(skip_locked=True)
        .filter(partner_id=course.partner_id, status=VoucherStatus.AVAILABLE)
        .filter(Q(course=course) | Q(course__isnull=True))
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
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
