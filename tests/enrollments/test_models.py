from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from enrollments.models import Enrollment, EnrollmentStatus, PartnerAccount, Voucher, VoucherStatus
from partners.models import PartnerCourse
from tests.factories import (
    make_account,
    make_certificate,
    make_course,
    make_enrollment,
    make_student,
    make_voucher,
    partner,
)

pytestmark = pytest.mark.django_db


def test_database_refuses_progress_outside_0_to_100():
    enrollment = make_enrollment()
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.filter(pk=enrollment.pk).update(progress_percent=150)


def test_full_clean_explains_progress_outside_0_to_100():
    enrollment = make_enrollment()
    enrollment.progress_percent = 101
    with pytest.raises(ValidationError) as caught:
        enrollment.full_clean()
    assert "progress_percent" in caught.value.message_dict


def test_one_open_enrollment_per_student_and_course():
    first = make_enrollment()
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(student=first.student, course=first.course)
    for status in (EnrollmentStatus.COMPLETED, EnrollmentStatus.CANCELLED, EnrollmentStatus.FAILED):
        Enrollment.objects.filter(pk=first.pk).update(status=status, progress_percent=100)
        again = Enrollment.objects.create(student=first.student, course=first.course)
        Enrollment.objects.filter(pk=again.pk).update(status=EnrollmentStatus.CANCELLED)


def test_external_enrollment_ids_are_unique_per_partner_only():
    make_enrollment(external_enrollment_id="E-1")
    other_partner_course = make_course(partner("nds"))
    make_enrollment(course=other_partner_course, external_enrollment_id="E-1")
    make_enrollment(external_enrollment_id="")
    make_enrollment(external_enrollment_id="")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_enrollment(external_enrollment_id="E-1")


def test_partner_is_taken_from_the_course():
    course = make_course(partner("milady"))
    assert make_enrollment(course=course).partner.slug == "milady"


def test_partner_accounts_are_unique_per_student_and_per_external_id():
    account = make_account()
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerAccount.objects.create(
            student=account.student, partner=account.partner, external_id="other"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerAccount.objects.create(
            student=make_student(), partner=account.partner, external_id=account.external_id
        )


def test_certificate_expiry_comes_from_the_course_validity_unless_the_partner_gave_one():
    course = make_course(partner("hsi"), validity_months=24)
    issued = datetime(2026, 1, 31, 12, tzinfo=UTC)
    enrollment = make_enrollment(
        course=course, status=EnrollmentStatus.COMPLETED, progress_percent=100
    )
    cert = make_certificate(enrollment=enrollment, issued_at=issued)
    assert cert.expires_at == datetime(2028, 1, 31, 12, tzinfo=UTC)

    partner_date = datetime(2027, 6, 1, tzinfo=UTC)
    enrollment2 = make_enrollment(
        course=make_course(partner("hsi"), validity_months=24),
        status="completed",
        progress_percent=100,
    )
    assert (
        make_certificate(
            enrollment=enrollment2, issued_at=issued, expires_at=partner_date
        ).expires_at
        == partner_date
    )

    no_expiry = make_enrollment(
        course=make_course(partner("nds")), status="completed", progress_percent=100
    )
    assert make_certificate(enrollment=no_expiry, issued_at=issued).expires_at is None


def test_voucher_status_and_assignment_agree():
    voucher = make_voucher()
    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.filter(pk=voucher.pk).update(status=VoucherStatus.ASSIGNED)
    assigned = make_voucher(status=VoucherStatus.ASSIGNED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Voucher.objects.filter(pk=assigned.pk).update(status=VoucherStatus.AVAILABLE)


def test_voucher_for_another_partners_course_fails_validation(catalogue):
    voucher = Voucher(
        partner=partner("hsi"), course=PartnerCourse.objects.filter(partner__slug="nrf").first()
    )
    with pytest.raises(ValidationError, match="another partner"):
        voucher.full_clean()


def test_completed_enrollment_must_be_at_100():
    enrollment = make_enrollment()
    enrollment.status = EnrollmentStatus.COMPLETED
    enrollment.progress_percent = 80
    with pytest.raises(ValidationError, match="100"):
        enrollment.full_clean()
