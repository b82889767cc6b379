"""Drill: a partner answers 503 to everything for a while.

The simulator's fault injection (partners/simulator/faults.py, the SimFault row that
`manage.py simulator_fault` writes) makes NDS answer every call 503 while 16 enrollments
are provisioned by a real worker. The breaker (PARTNER_BREAKER_FAIL_MAX failures, shared
through Redis) must open, so the calls that reach the partner stay few: they are counted
at the simulator, in the access log of the server it runs in (every request, whatever
the simulator answered). No enrollment may look enrolled; each waits, requested, with its
next attempt scheduled. Then the fault is cleared (`manage.py simulator_fault nds
--clear`), the reconcile job runs, and every enrollment completes, once.

Shortened for the drill: PARTNER_BREAKER_RESET_SECONDS=3 (60 s by default) and
PROVISION_MAX_BACKOFF_MINUTES=0, so an enrollment that failed is due again at once
rather than in 1-2 minutes. The reconcile job is sent by name through the broker (as beat
sends it every minute), every second until all are provisioned.
"""

import time

import pytest
from django.db.models import Count

from config.celery import send
from enrollments.models import Enrollment, EnrollmentStatus
from enrollments.services import enrollment_create
from monitoring.models import PartnerRequestLog
from partners.models import PartnerCourse
from partners.simulator.faults import set_faults
from partners.simulator.models import SimEnrollment
from tests.factories import make_student
from tests.faults.conftest import wait_for

pytestmark = pytest.mark.faults

SLUG = "nds"
STUDENTS = 16
CONCURRENCY = 4
FAIL_MAX = 5
RESET_SECONDS = 3
MAX_ATTEMPTS = 3  # the client's attempts per call (partners/client.py)


def test_a_partner_outage_opens_the_breaker_and_enrollments_wait_then_complete(
    drill, publish_to_drill
):
    course = PartnerCourse.objects.filter(partner__slug=SLUG, needs_voucher=False).first()
    set_faults(SLUG, error_rate=1.0)
    drill.web()
    drill.worker(
        concurrency=CONCURRENCY,
        PARTNER_BREAKER_FAIL_MAX=str(FAIL_MAX),
        PARTNER_BREAKER_RESET_SECONDS=str(RESET_SECONDS),
        PROVISION_MAX_BACKOFF_MINUTES="0",
    )
    ids = [enrollment_create(student=make_student(), course=course).pk for _ in range(STUDENTS)]
    enrollments = Enrollment.objects.filter(pk__in=ids)

    def calls_at_partner() -> list[int]:
        return drill.requests_seen("POST", f"/simulator/{SLUG}/")

    def attempted() -> int:
        return enrollments.exclude(last_error="").count()

    wait_for(
        "every enrollment tried during the outage",
        lambda: attempted() == STUDENTS,
        seconds=60,
        seen=lambda: (
            f"{attempted()}/{STUDENTS} tried; partner calls {calls_at_partner()}{drill.tails()}"
        ),
    )
    # One more reconcile while the partner is still down (after the breaker's reset time):
    # what is due again is tried, and the breaker lets at most a probe through.
    time.sleep(RESET_SECONDS)
    send("enrollments.tasks.reconcile")
    time.sleep(2)

    storm = calls_at_partner()
    # Without a breaker every enrollment would make MAX_ATTEMPTS calls (48 here, and as
    # many again per reconcile); with it, the failures that open it, the calls already
    # under way in the other worker processes, and the probes after each reset.
    bound = FAIL_MAX + 2 * CONCURRENCY
    assert storm and set(storm) == {503}, storm
    assert len(storm) <= bound, (
        f"{len(storm)} calls reached the partner during the outage (bound {bound}, "
        f"{STUDENTS * MAX_ATTEMPTS} without a breaker)"
    )
    refused = PartnerRequestLog.objects.filter(partner__slug=SLUG, outcome="refused").count()
    assert refused > 0, "the breaker never refused a call"
    # Nobody looks enrolled: each waits, requested, its next attempt scheduled.
    assert dict(enrollments.values_list("status").annotate(n=Count("pk"))) == {
        EnrollmentStatus.REQUESTED: STUDENTS
    }
    assert not enrollments.filter(next_attempt_at__isnull=True).exists()
    assert not SimEnrollment.objects.filter(partner=SLUG).exists()

    # The partner recovers.
    drill.manage("simulator_fault", SLUG, "--clear")
    time.sleep(RESET_SECONDS)

    def waiting() -> int:
        send("enrollments.tasks.reconcile")  # beat's job, every minute in production
        return enrollments.filter(status=EnrollmentStatus.REQUESTED).count()

    wait_for(
        "every enrollment provisioned after the partner recovered",
        lambda: waiting() == 0,
        seconds=60,
        every=1.0,
        seen=lambda: (
            f"{waiting()} still requested; statuses "
            f"{dict(enrollments.values_list('status').annotate(n=Count('pk')))}{drill.tails()}"
        ),
    )
    assert set(enrollments.values_list("status", flat=True)) == {EnrollmentStatus.ACTIVE}
    per_reference = dict(
        SimEnrollment.objects.filter(partner=SLUG)
        .values_list("reference")
        .annotate(n=Count("pk"))
        .values_list("reference", "n")
    )
    assert per_reference == {str(pk): 1 for pk in ids}
    print(f"{len(storm)} partner calls during the outage (bound {bound}), {refused} refused")
