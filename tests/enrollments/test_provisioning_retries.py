"""Provisioning retries without holding a worker slot: a transient failure re-queues the
task with the partner client's backoff as countdown, instead of the client sleeping
between attempts inside the task (benchmarks/enrolments.py measures what that buys)."""

from datetime import timedelta

from django.utils import timezone

from enrollments.models import Enrollment, EnrollmentStatus
from enrollments.services import enrollment_create, enrollment_provision
from monitoring.models import PartnerRequestLog
from partners.breakers import breaker_for
from partners.registry import get_adapter
from partners.simulator.faults import clear_faults, set_faults
from tests.enrollments.test_provisioning import course
from tests.enrollments.test_provisioning import due_now as due_now_in_test
from tests.factories import make_student


def due_now(enrollment) -> None:
    """Due now, with the breaker closed (it is not what these tests are about)."""
    breaker_for("nds").close()
    due_now_in_test(enrollment)


def test_a_503_re_queues_the_task_with_a_countdown_and_sleeps_never(live_simulator, monkeypatch):
    queued, sleeps = [], []
    monkeypatch.setattr(
        "enrollments.services.provisioning.send",
        lambda name, *args, countdown=None: queued.append((name, args, countdown)),
    )
    client = get_adapter("nds").client
    monkeypatch.setattr(client, "sleep", sleeps.append)
    monkeypatch.setattr(client.backoff, "rng", lambda low, high: high)
    set_faults("nds", error_rate=1.0)

    enrollment = enrollment_create(student=make_student(), course=course("nds"))
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED and enrollment.attempts == 1
    # One attempt, no sleep; the task comes back after the client's first backoff.
    assert PartnerRequestLog.objects.filter(enrollment=enrollment).count() == 1
    assert sleeps == []
    assert queued == [("enrollments.tasks.provision_enrollment", (enrollment.pk,), 1.25)]
    due_in = enrollment.next_attempt_at - timezone.now()
    assert timedelta(seconds=1) < due_in <= timedelta(seconds=1.25)

    # The client's backoff, capped at its longest, for as many attempts as it would have
    # made in both calls (the account, the enrolment: <SLUG>_MAX_RETRIES, 3, each).
    for _ in range(2, 6):
        due_now(enrollment)
        enrollment_provision(enrollment_id=enrollment.pk)
        assert queued[-1] == ("enrollments.tasks.provision_enrollment", (enrollment.pk,), 2.5)
    assert len(queued) == 5

    # Those spent: minutes away, for the reconcile job.
    due_now(enrollment)
    enrollment_provision(enrollment_id=enrollment.pk)
    enrollment.refresh_from_db()
    assert len(queued) == 5 and enrollment.attempts == 6
    assert enrollment.next_attempt_at > timezone.now() + timedelta(seconds=50)

    clear_faults("nds")
    due_now(enrollment)
    enrollment = enrollment_provision(enrollment_id=enrollment.pk)
    assert enrollment.status in (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)
    assert Enrollment.objects.get(pk=enrollment.pk).attempts == 7
