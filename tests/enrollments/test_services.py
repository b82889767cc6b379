"""Creating, cancelling and retrying enrollments; vouchers; cohorts (no partner calls:
partners here are in manual mode unless a test says otherwise)."""

import threading

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from enrollments.models import Enrollment, EnrollmentStatus, Student, Voucher, VoucherStatus
from enrollments.services import (
    EnrollmentConflict,
    EnrollmentError,
    EnrollmentStateError,
    NoVoucherAvailable,
    cohort_enroll,
    enrollment_cancel,
    enrollment_create,
    enrollment_retry,
    student_create,
)
from partners.models import PartnerCourse
from tests.factories import make_cohort, make_student


@pytest.fixture(autouse=True)
def manual_partners(settings, monkeypatch):
    settings.PARTNER_SIMULATOR = False  # realistic modes: nothing is sent to a partner


@pytest.fixture
def voucher_course(catalogue):
    return PartnerCourse.objects.get(code="MO-210")


def test_student_create_normalises_and_validates(db):
    student = student_create(
        external_ref=" S-9 ", first_name="Ana", last_name="Lopez", email="ANA@Example.org "
    )
    assert (student.external_ref, student.email) == ("S-9", "ana@example.org")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        student_create(external_ref="S-9", first_name="B", last_name="C", email="not-an-email")
    assert set(caught.value.message_dict) >= {"external_ref", "email"}


def test_a_second_open_enrollment_is_a_conflict(catalogue):
    course = PartnerCourse.objects.get(code="JRI-CUST-101")
    student = make_student()
    enrollment_create(student=student, course=course)
    with pytest.raises(EnrollmentConflict, match="already has an open enrollment"):
        enrollment_create(student=student, course=course)
    assert Enrollment.objects.count() == 1


def test_an_enrollment_taking_no_voucher_is_one_insert_and_a_second_still_a_conflict(
    transactional_db, catalogue, monkeypatch
):
    # No look for an open enrollment first and no transaction around the INSERT (three
    # round trips fewer per enrolment on PostgreSQL): the partial unique index refuses
    # the second one, and only then is the reason looked up. (SQLite shows BEGIN,
    # SAVEPOINT and COMMIT among the queries; PostgreSQL's driver sends BEGIN unseen.)
    monkeypatch.setattr("config.celery.send", lambda *args, **kwargs: None)
    # As the API reads it: with its partner.
    course = PartnerCourse.objects.select_related("partner").get(code="JRI-CUST-101")
    assert not course.needs_voucher
    student = make_student()
    with CaptureQueriesContext(connection) as queries:
        enrollment_create(student=student, course=course)
    assert [q["sql"].split()[0].upper() for q in queries.captured_queries] == ["INSERT"]
    with pytest.raises(EnrollmentConflict, match="already has an open enrollment"):
        enrollment_create(student=student, course=course)
    assert Enrollment.objects.count() == 1


def test_a_student_deleted_meanwhile_is_said_and_is_not_a_conflict(transactional_db, catalogue):
    # The student was read by the caller, then deleted before the enrollment was saved:
    # the database's foreign key refuses it (SQLite at commit: hence a committing test),
    # and the error says what happened.
    course = PartnerCourse.objects.get(code="JRI-CUST-101")
    student = make_student()
    Student.objects.filter(pk=student.pk).delete()
    with pytest.raises(EnrollmentError, match="deleted meanwhile") as caught:
        enrollment_create(student=student, course=course)
    assert not isinstance(caught.value, EnrollmentConflict)
    assert not Enrollment.objects.exists()


def test_voucher_is_taken_with_the_enrollment_and_released_on_cancel(voucher_course):
    course_voucher = Voucher.objects.create(
        partner=voucher_course.partner, course=voucher_course, code="CP-1", cost=96
    )
    Voucher.objects.create(partner=voucher_course.partner, code="CP-ANY", cost=96)
    enrollment = enrollment_create(student=make_student(), course=voucher_course)
    course_voucher.refresh_from_db()
    assert (
        course_voucher.enrollment == enrollment and course_voucher.status == VoucherStatus.ASSIGNED
    )

    enrollment_cancel(enrollment=enrollment)
    course_voucher.refresh_from_db()
    assert course_voucher.status == VoucherStatus.AVAILABLE and course_voucher.enrollment is None
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.CANCELLED and enrollment.cancelled_at


def test_no_voucher_left_is_a_clear_error_and_creates_nothing(voucher_course):
    Voucher.objects.create(
        partner=voucher_course.partner, code="CP-OLD", cost=96, status=VoucherStatus.EXPIRED
    )
    with pytest.raises(NoVoucherAvailable, match="add stock under Vouchers"):
        enrollment_create(student=make_student(), course=voucher_course)
    assert not Enrollment.objects.exists()


def test_expired_vouchers_are_not_taken(voucher_course):
    from datetime import timedelta

    from django.utils import timezone

    Voucher.objects.create(
        partner=voucher_course.partner,
        code="CP-X",
        cost=96,
        expires_at=timezone.now() - timedelta(days=1),
    )
    with pytest.raises(NoVoucherAvailable):
        enrollment_create(student=make_student(), course=voucher_course)


def test_two_concurrent_enrollments_never_share_the_last_voucher(postgres, voucher_course):
    Voucher.objects.create(partner=voucher_course.partner, code="CP-LAST", cost=96)
    students = [make_student(), make_student()]
    barrier, outcomes = threading.Barrier(2), []

    def enrol(student):
        close_old_connections()
        try:
            barrier.wait()
            enrollment_create(student=student, course=voucher_course)
            outcomes.append("enrolled")
        except NoVoucherAvailable:
            outcomes.append("no voucher")
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol, args=(s,)) for s in students]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["enrolled", "no voucher"]
    assert Voucher.objects.get(code="CP-LAST").status == VoucherStatus.ASSIGNED


def test_completed_enrollments_cannot_be_cancelled(catalogue):
    enrollment = enrollment_create(
        student=make_student(), course=PartnerCourse.objects.get(code="NDS-DER")
    )
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=EnrollmentStatus.COMPLETED, progress_percent=100
    )
    with pytest.raises(EnrollmentStateError):
        enrollment_cancel(enrollment=enrollment)


def test_retry_refuses_when_another_open_enrollment_exists(catalogue):
    course = PartnerCourse.objects.get(code="NDS-DER")
    student = make_student()
    failed = enrollment_create(student=student, course=course)
    Enrollment.objects.filter(pk=failed.pk).update(status=EnrollmentStatus.FAILED)
    enrollment_create(student=student, course=course)
    with pytest.raises(EnrollmentConflict):
        enrollment_retry(enrollment=failed)


def test_inactive_course_is_refused(catalogue):
    course = PartnerCourse.objects.get(code="NDS-DER")
    PartnerCourse.objects.filter(pk=course.pk).update(active=False)
    course.refresh_from_db()
    with pytest.raises(EnrollmentStateError, match="not offered"):
        enrollment_create(student=make_student(), course=course)


def test_cohort_enrolment_reports_per_student(catalogue):
    course = PartnerCourse.objects.get(code="JRI-CUST-101")
    cohort = make_cohort()
    already = cohort.students.first()
    enrollment_create(student=already, course=course)
    results = cohort_enroll(cohort=cohort, course=course, funding_source="wioa")
    assert len(results) == 2
    by_student = {r.student.pk: r for r in results}
    assert "already has an open enrollment" in by_student[already.pk].error
    other = next(r for r in results if r.student.pk != already.pk)
    assert other.enrollment.cohort == cohort and other.enrollment.funding_source == "wioa"


def test_student_update_normalises_and_keeps_the_reference(db):
    from django.core.exceptions import ValidationError

    from enrollments.services import student_update

    student = make_student()
    student_update(student=student, email=" New@Example.ORG ", phone=" 555 ")
    student.refresh_from_db()
    assert (student.email, student.phone) == ("new@example.org", "555")
    with pytest.raises(ValidationError):
        student_update(student=student, external_ref="OTHER")


def test_old_idempotency_keys_are_pruned(db):
    from datetime import timedelta

    from django.utils import timezone

    from enrollments.models import ApiIdempotencyKey
    from enrollments.tasks import prune_idempotency_keys
    from tests.factories import make_api_key

    old, fresh = make_api_key(), make_api_key()
    ApiIdempotencyKey.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    assert prune_idempotency_keys() == 1
    assert list(ApiIdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_cancelled_enrollments_are_not_synced(catalogue):
    from enrollments.services import enrollment_sync_progress

    enrollment = enrollment_create(
        student=make_student(), course=PartnerCourse.objects.get(code="NDS-DER")
    )
    enrollment_cancel(enrollment=enrollment)
    enrollment.refresh_from_db()
    with pytest.raises(EnrollmentStateError, match="cancelled enrollment is not synced"):
        enrollment_sync_progress(enrollment=enrollment)
