"""The whole life of enrollments against the simulator over real HTTP: provision, sync,
complete, certificate, e-mails, reconcile, reminders, group enrolment, the launch link,
the admin actions and the jobs loop."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from config.jobs import JobsLoop
from enrollments import services, tasks
from enrollments.models import Certificate, Enrollment, EnrollmentStatus, StudentEmail, Voucher
from enrollments.selectors import QUEUED_GRACE
from enrollments.services import cohort_enroll, enrollment_create
from enrollments.services.notifications import launch_link, send_expiry_reminders
from partners.models import PartnerCourse
from tests import simulator_state
from tests.factories import make_cohort, make_student


def enrol(code: str) -> Enrollment:
    course = PartnerCourse.objects.get(code=code)
    if course.needs_voucher:
        Voucher.objects.create(partner=course.partner, cost=1)
    enrollment = enrollment_create(student=make_student(), course=course)
    enrollment.refresh_from_db()
    return enrollment


def advance(enrollment: Enrollment, **how) -> None:
    simulator_state.advance(enrollment.partner.slug, enrollment.external_enrollment_id, **how)


def test_sync_takes_progress_then_completion_certificate_and_emails(live_simulator):
    enrollment = enrol("ASHI-BLS")
    advance(enrollment, to=45)
    assert tasks.sync_open_enrollments() == {"synced": 1, "changed": 1, "failed": 0}
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 45 and enrollment.status == EnrollmentStatus.ACTIVE
    assert enrollment.last_synced_at is not None

    advance(enrollment, to=100)
    tasks.sync_open_enrollments()
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED
    cert = Certificate.objects.get(enrollment=enrollment)
    assert cert.source == "api" and cert.expires_at > timezone.now() + timedelta(days=700)
    kinds = sorted(
        StudentEmail.objects.filter(enrollment=enrollment).values_list("kind", flat=True)
    )
    assert kinds == ["certificate_issued", "course_completed", "enrollment_active"]
    assert len(mail.outbox) == 3
    voucher = Voucher.objects.get(enrollment=enrollment)
    assert voucher.status == "redeemed"

    tasks.sync_open_enrollments()
    assert len(mail.outbox) == 3  # nothing new, nothing resent


def test_reconcile_redrives_a_lost_provisioning_message(live_simulator, monkeypatch):
    monkeypatch.setattr(tasks.provision_enrollment, "delay", lambda pk: None)  # the message is lost
    course = PartnerCourse.objects.get(code="NDS-DER")
    enrollment = enrollment_create(student=make_student(), course=course)
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED
    monkeypatch.undo()
    # Its task could still be on its way to a worker: no second one is queued yet.
    assert tasks.reconcile() == 0
    # Once the grace has passed its message is taken to be lost.
    Enrollment.objects.filter(pk=enrollment.pk).update(requested_at=timezone.now() - QUEUED_GRACE)
    assert tasks.reconcile() == 1
    enrollment.refresh_from_db()
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)
    assert tasks.reconcile() == 0


def test_a_sync_that_finds_nothing_new_writes_and_counts_nothing(live_simulator):
    enrollment = enrol("ASHI-BLS")
    advance(enrollment, to=45)
    assert tasks.sync_open_enrollments() == {"synced": 1, "changed": 1, "failed": 0}
    enrollment.refresh_from_db()
    events, updated = enrollment.events.count(), enrollment.updated_at

    for _ in range(3):
        assert tasks.sync_open_enrollments() == {"synced": 1, "changed": 0, "failed": 0}
    enrollment.refresh_from_db()
    assert enrollment.events.count() == events and enrollment.updated_at == updated


def test_a_poll_with_an_unusable_score_applies_the_rest_and_says_so(live_simulator, monkeypatch):
    from decimal import Decimal

    from partners.errors import PartnerInvalidResponseError
    from partners.hsi.adapter import HsiAdapter
    from partners.results import ProgressResult

    enrollment = enrol("ASHI-BLS")
    monkeypatch.setattr(
        HsiAdapter,
        "get_progress",
        lambda self, **kw: ProgressResult(progress_percent=50, score=Decimal("NaN")),
    )
    with pytest.raises(PartnerInvalidResponseError, match="left out: score NaN"):
        services.enrollment_sync_progress(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 50 and enrollment.score is None
    assert "left out: score NaN" in enrollment.events.get().note
    assert tasks.sync_open_enrollments() == {"synced": 0, "changed": 0, "failed": 1}


def test_missing_certificates_are_fetched(live_simulator):
    enrollment = enrol("NDS-DFWP-SUP")
    advance(enrollment, to=100)
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=EnrollmentStatus.COMPLETED, progress_percent=100
    )
    assert tasks.fetch_missing_certificates() == 1
    cert = Certificate.objects.get(enrollment=enrollment)
    assert cert.expires_at is not None  # NDS's yearly supervisor course
    assert tasks.fetch_missing_certificates() == 0


@pytest.mark.django_db
def test_expiry_reminders_are_sent_once_per_stage(catalogue, settings):
    from tests.factories import make_certificate, make_enrollment

    now = timezone.now()
    course = PartnerCourse.objects.get(code="MFA-BBP")
    soon = make_certificate(
        enrollment=make_enrollment(course=course, status="completed", progress_percent=100),
        issued_at=now - timedelta(days=300),
        expires_at=now + timedelta(days=25),
    )
    make_certificate(
        enrollment=make_enrollment(course=course, status="completed", progress_percent=100),
        issued_at=now - timedelta(days=100),
        expires_at=now + timedelta(days=200),
    )
    assert send_expiry_reminders(now=now) == 1
    assert send_expiry_reminders(now=now) == 0
    [message] = mail.outbox
    assert "expires in 30 days" in message.subject
    assert send_expiry_reminders(now=now + timedelta(days=19)) == 1  # the 7-day stage
    assert list(
        StudentEmail.objects.filter(enrollment=soon.enrollment)
        .values_list("key", flat=True)
        .order_by("key")
    ) == ["30", "7"]
    out = io.StringIO()
    call_command("send_expiry_reminders", stdout=out)
    assert "0 reminder(s) sent" in out.getvalue()


def test_careersafe_cohort_uses_group_enrolment(live_simulator):
    course = PartnerCourse.objects.get(code="OSHA10-CON")
    cohort = make_cohort(partner=course.partner, group_code="CS-GRP-1")
    for _ in range(2):
        Voucher.objects.create(partner=course.partner, cost=25)
    results = cohort_enroll(cohort=cohort, course=course)
    assert all(r.enrollment for r in results)
    enrollments = Enrollment.objects.filter(cohort=cohort)
    assert set(enrollments.values_list("status", flat=True)) <= {"submitted", "active"}
    from monitoring.models import PartnerRequestLog

    assert (
        PartnerRequestLog.objects.filter(
            partner__slug="careersafe", operation="enroll_group"
        ).count()
        == 1
    )
    assert not PartnerRequestLog.objects.filter(
        partner__slug="careersafe", operation="enroll"
    ).exists()


def test_a_cohort_enrolled_by_group_call_gets_their_logins_once(live_simulator):
    """The group call is another path to `active`: each student gets the same "you're
    enrolled" e-mail as one-by-one provisioning sends, once, with the temporary password
    CareerSafe gave for the new account, and the password is stored nowhere."""
    from django.db import connection

    course = PartnerCourse.objects.get(code="OSHA10-CON")
    cohort = make_cohort(partner=course.partner, group_code="CS-GRP-2")
    for _ in range(2):
        Voucher.objects.create(partner=course.partner, cost=25)
    cohort_enroll(cohort=cohort, course=course)
    tasks.reconcile()  # nothing is left for one-by-one provisioning to redo

    enrollments = list(Enrollment.objects.filter(cohort=cohort))
    assert len(enrollments) == 2
    assert {e.status for e in enrollments} <= {"submitted", "active"}
    by_recipient = {}
    for message in mail.outbox:
        by_recipient.setdefault(message.to[0], []).append(message)
    assert sorted(by_recipient) == sorted(e.student.email for e in enrollments)
    passwords = []
    for [message] in by_recipient.values():
        assert message.subject.startswith("You're enrolled")
        passwords.append(message.body.split("Temporary password:")[1].split()[0])
    assert StudentEmail.objects.filter(kind="enrollment_active").count() == 2
    with connection.cursor() as cursor:
        for table in ("enrollments_partneraccount", "enrollments_enrollment"):
            cursor.execute(f"SELECT * FROM {table}")
            rows = repr(cursor.fetchall())
            assert not any(p in rows for p in passwords), table


def test_launch_link_from_the_email_opens_the_course(live_simulator, client):
    enrollment = enrol("JRI-CUST-101")
    path = launch_link(enrollment).removeprefix(live_simulator.url)
    response = client.get(path)
    assert response.status_code == 302 and "/simulator/jri/play/" in response["Location"]
    assert client.get(path[:-3] + "xx/").status_code == 403


def test_admin_actions_work_through_the_admin(live_simulator, admin_client):
    enrollment = enrol("NDS-DER")
    advance(enrollment, to=70)
    url = reverse("admin:enrollments_enrollment_changelist")

    response = admin_client.post(
        url, {"action": "sync_now", "_selected_action": [enrollment.pk]}, follow=True
    )
    assert "Synced 1 enrollment" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 70

    response = admin_client.post(
        url, {"action": "open_launch_url", "_selected_action": [enrollment.pk]}
    )
    assert response.status_code == 302 and "/simulator/nds/play/" in response["Location"]

    page = admin_client.get(
        reverse("admin:enrollments_enrollment_change", args=[enrollment.pk])
    ).content.decode()
    assert (
        "progress.updated (poll)" in page
        and "create_account" in page
        and "You&#x27;re enrolled" in page
    )

    response = admin_client.post(
        url, {"action": "cancel", "_selected_action": [enrollment.pk]}, follow=True
    )
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.CANCELLED


def test_admin_enrols_selected_students_through_the_intermediate_page(live_simulator, admin_client):
    students = [make_student(), make_student()]
    course = PartnerCourse.objects.get(code="JRI-FLOOR-CARE")
    url = reverse("admin:enrollments_student_changelist")
    ids = [s.pk for s in students]
    page = admin_client.post(url, {"action": "enroll_students", "_selected_action": ids})
    assert page.status_code == 200 and "Enrol 2 student(s) in a course" in page.content.decode()
    done = admin_client.post(
        url,
        {
            "action": "enroll_students",
            "_selected_action": ids,
            "apply": "1",
            "course": course.pk,
            "funding_source": "grant",
        },
        follow=True,
    )
    assert "2 of 2 student(s) enrolled" in done.content.decode()
    assert Enrollment.objects.filter(course=course, funding_source="grant").count() == 2


def test_admin_retry_provisioning(live_simulator, admin_client):
    enrollment = enrol("NDS-DER")
    Enrollment.objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.FAILED)
    url = reverse("admin:enrollments_enrollment_changelist")
    response = admin_client.post(
        url, {"action": "retry_provisioning", "_selected_action": [enrollment.pk]}, follow=True
    )
    assert "Retried 1 enrollment" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)


def test_jobs_loop_runs_each_job_when_due(live_simulator):
    enrollment = enrol("NDS-DER")
    advance(enrollment, to=30)
    loop = JobsLoop()
    ran = loop.run_due()
    assert "enrollments-sync-progress" in ran and "enrollments-reconcile" in ran
    assert loop.run_due() == []  # nothing is due again straight away
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 30


def test_commands_report_what_they_did(live_simulator):
    enrollment = enrol("NDS-DER")
    advance(enrollment, to=55)
    out = io.StringIO()
    call_command("sync_progress", stdout=out)
    assert "1 enrollment(s) synced: 1 changed, 0 failed" in out.getvalue()
    out = io.StringIO()
    call_command("reconcile", stdout=out)
    assert "0 enrollment(s) re-driven: nothing due" in out.getvalue()
