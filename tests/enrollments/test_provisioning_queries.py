"""What one provisioning costs the database (issue #14, benchmarks/enrolments.py): the
statements a new student's enrolment runs, counted, so a change that adds a reload or a
round trip shows here; and the shortcuts taken to save them keep their behaviour (an
account row without the partner's id is completed, an enrollment cancelled while the
partner was being called stays cancelled and the student still gets the password)."""

import threading
from contextlib import contextmanager

from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from enrollments.models import (
    EmailKind,
    Enrollment,
    EnrollmentStatus,
    PartnerAccount,
    StudentEmail,
    Voucher,
)
from enrollments.services import cohort_enroll, enrollment_create, enrollment_provision
from enrollments.services.provisioning import ensure_partner_account
from partners.models import PartnerCourse
from partners.results import AccountResult
from tests.factories import make_cohort, make_course, make_enrollment, make_student

# A new student's provisioning: claim it (update; read it with its student, course,
# partner, cohort, the student's account with the partner and the voucher to send, in
# one statement), insert the new account, the result (one conditional update), then the
# "you're enrolled" e-mail (insert its record; the account and voucher code it shows are
# the ones provisioning just used). The request logs are the monitoring hook's and are
# not counted. Neither runs a transaction: each statement commits on its own.
PROVISIONING_STATEMENTS = 5
# Opening it: one insert (the student and course were read by the caller and the
# database's foreign keys hold them; the partial unique index refuses a second open one).
CREATION_STATEMENTS = 1


def _nds_course() -> PartnerCourse:
    return PartnerCourse.objects.filter(partner__slug="nds", needs_voucher=False).first()


@contextmanager
def statements_run_here():
    """The SQL statements this thread runs. The simulator answers from a live server's
    thread, which may share this connection (in-memory SQLite): its statements are the
    partner's, not ours."""
    here = threading.get_ident()
    run: list[str] = []

    def record(execute, sql, params, many, context):
        if threading.get_ident() == here:
            run.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield run


def _queued(monkeypatch) -> list:
    """Queue nothing: the test runs provisioning itself, under the counter."""
    queued = []
    monkeypatch.setattr("config.celery.send", lambda name, *args, **kw: queued.append(args))
    return queued


def _without_request_logs(monkeypatch) -> list:
    """The request logs the hook writes (in this test database at once, in production
    from a buffer in batches) are kept aside: only provisioning's own statements count."""
    kept = []
    monkeypatch.setattr("monitoring.recorder.write_records", lambda records: kept.extend(records))
    return kept


def test_a_new_students_provisioning_runs_a_fixed_number_of_statements(live_simulator, monkeypatch):
    queued = _queued(monkeypatch)
    logs = _without_request_logs(monkeypatch)
    course = _nds_course()
    # Warm: the first call of a process loads adapters and templates.
    enrollment_provision(enrollment_id=enrollment_create(student=make_student(), course=course).pk)
    student = make_student()

    with statements_run_here() as created:
        enrollment = enrollment_create(student=student, course=course)
    with statements_run_here() as provisioned:
        enrollment_provision(enrollment_id=enrollment.pk)

    enrollment.refresh_from_db()
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)
    assert enrollment.attempts == 1 and enrollment.external_enrollment_id
    assert PartnerAccount.objects.get(student=student).external_id
    assert StudentEmail.objects.filter(
        enrollment=enrollment, kind=EmailKind.ENROLLMENT_ACTIVE
    ).exists()
    assert len(queued) == 2 and {r.operation for r in logs} == {"create_account", "enroll"}
    assert len(provisioned) == PROVISIONING_STATEMENTS, "\n".join(provisioned)
    assert len(created) == CREATION_STATEMENTS, "\n".join(created)
    # Each statement commits on its own: no transaction's BEGIN, SAVEPOINT or COMMIT.
    assert not [
        sql for sql in provisioned + created if not sql.startswith(("SELECT", "INSERT", "UPDATE"))
    ]


def test_an_account_row_without_the_partners_id_is_completed_not_duplicated(
    live_simulator, monkeypatch
):
    _queued(monkeypatch)
    student = make_student()
    course = _nds_course()
    PartnerAccount.objects.create(student=student, partner=course.partner, external_id="")
    enrollment = enrollment_create(student=student, course=course)

    enrollment = enrollment_provision(enrollment_id=enrollment.pk)

    [account] = PartnerAccount.objects.filter(student=student)
    assert account.external_id and account.login_url
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)


def test_cancelled_while_the_partner_was_called_stays_cancelled_and_gets_the_password(
    live_simulator, monkeypatch
):
    """CareerSafe gives a temporary password with a new account."""
    from partners.careersafe.adapter import CareerSafeAdapter

    _queued(monkeypatch)
    course = PartnerCourse.objects.filter(partner__slug="careersafe").first()
    Voucher.objects.create(partner=course.partner, cost=25)
    enrollment = enrollment_create(student=make_student(), course=course)
    real_enroll = CareerSafeAdapter.enroll

    def cancelled_meanwhile(self, **kwargs):
        result = real_enroll(self, **kwargs)
        Enrollment.objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.CANCELLED)
        return result

    monkeypatch.setattr(CareerSafeAdapter, "enroll", cancelled_meanwhile)
    returned = enrollment_provision(enrollment_id=enrollment.pk)

    enrollment.refresh_from_db()
    assert returned.status == enrollment.status == EnrollmentStatus.CANCELLED
    assert enrollment.attempts == 0 and not enrollment.external_enrollment_id
    assert not StudentEmail.objects.filter(kind=EmailKind.ENROLLMENT_ACTIVE).exists()
    # The account was made with a temporary password, never stored: it went anyway.
    [message] = mail.outbox
    assert "Temporary password:" in message.body
    assert StudentEmail.objects.filter(
        enrollment=enrollment, kind=EmailKind.ACCOUNT_CREATED
    ).exists()


class _Partner:
    """Answers create_account with a new account, and counts the calls."""

    def __init__(self):
        self.calls = 0

    def create_account(self, **kwargs):
        self.calls += 1
        return AccountResult(external_id=f"U-{self.calls}", username="learner")


def test_a_new_account_is_one_insert_without_a_transaction(transactional_db, monkeypatch):
    # Provisioning runs outside any transaction: the account's INSERT commits on its own
    # (two round trips fewer). Inside a caller's transaction it takes a savepoint, so an
    # account another worker stored meanwhile leaves that transaction usable.
    made = make_enrollment()
    # As provisioning reads it (_claim): with its student, course and partner.
    enrollment = Enrollment.objects.select_related("student", "partner").get(pk=made.pk)
    partner = _Partner()
    with CaptureQueriesContext(connection) as queries:
        account, _ = ensure_partner_account(partner, enrollment)
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["SELECT", "INSERT"], statements
    assert account.external_id == "U-1"

    # Another enrollment of the student with the same partner; its lookup misses the
    # account (as if another worker's, not yet visible) and the INSERT meets it.
    second = make_enrollment(student=enrollment.student, course=make_course(enrollment.partner))
    no_rows = PartnerAccount.objects.none()
    monkeypatch.setattr(PartnerAccount.objects, "filter", lambda *args, **kwargs: no_rows)
    with transaction.atomic():
        again, _ = ensure_partner_account(partner, second)
        assert again.pk == account.pk and again.external_id == "U-2"
        assert PartnerAccount.objects.count() == 1  # the transaction is still usable


def test_a_cohort_enrolled_one_by_one_is_one_insert_a_student(transactional_db, monkeypatch):
    # No group call (no group code): each student's enrollment is enrollment_create's one
    # INSERT, with no transaction around it (SQLite shows BEGIN and SAVEPOINT).
    monkeypatch.setattr("config.celery.send", lambda *args, **kwargs: None)
    course = PartnerCourse.objects.select_related("partner").get(pk=make_course().pk)
    cohort = make_cohort(partner=course.partner)
    with CaptureQueriesContext(connection) as queries:
        results = cohort_enroll(cohort=cohort, course=course)
    assert [r.error for r in results] == ["", ""]
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements.count("INSERT") == 2
    assert not {"BEGIN", "SAVEPOINT", "COMMIT"} & set(statements), statements


def test_the_voucher_taken_from_stock_is_the_one_sent_to_the_partner(live_simulator, monkeypatch):
    # The claim reads the voucher with the enrollment: its code is what pays for the
    # Certiport exam (no voucher generated at the partner) and what the e-mail shows.
    from partners.simulator.models import SimEnrollment, SimVoucher

    _queued(monkeypatch)
    course = PartnerCourse.objects.filter(partner__slug="certiport").first()
    Voucher.objects.create(partner=course.partner, course=course, code="CP-STOCK-0001", cost=99)
    enrollment = enrollment_create(student=make_student(), course=course)

    enrollment = enrollment_provision(enrollment_id=enrollment.pk)

    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)
    [at_partner] = SimEnrollment.objects.filter(partner="certiport")
    assert at_partner.options["voucherCode"] == "CP-STOCK-0001"
    assert not SimVoucher.objects.exists()
    [message] = mail.outbox
    assert "CP-STOCK-0001" in message.body
