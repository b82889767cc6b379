"""The one write path: idempotent, order-proof, side effects once."""

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from enrollments.models import (
    Certificate,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    StudentEmail,
)
from enrollments.services import EnrollmentNotFound, enrollment_apply_event
from enrollments.services.errors import EnrollmentNotConfirmed
from partners.events import EventSource, EventType, PartnerEvent
from partners.results import CertificateResult
from tests.factories import make_course, make_enrollment, partner

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
EXAMPLE = itertools.count()


def event(
    kind=EventType.PROGRESS_UPDATED,
    *,
    at=0,
    eid="",
    progress=None,
    score=None,
    passed=None,
    cert=None,
    ext="E-1",
):
    return PartnerEvent(
        type=kind,
        partner="hsi",
        occurred_at=T0 + timedelta(minutes=at),
        external_enrollment_id=ext,
        progress_percent=progress,
        score=score,
        passed=passed,
        certificate=cert,
        event_id=eid,
        raw={"n": at},
    )


CERT = CertificateResult(number="C-1", issued_at=T0 + timedelta(days=1))


@pytest.fixture
def enrollment(db):
    return make_enrollment(
        course=make_course(partner("hsi"), validity_months=24),
        status=EnrollmentStatus.SUBMITTED,
        external_enrollment_id="E-1",
    )


def state(e: Enrollment) -> tuple:
    e.refresh_from_db()
    cert = Certificate.objects.filter(enrollment=e).values_list("number", flat=True).first()
    return (
        e.status,
        e.progress_percent,
        e.score,
        e.passed,
        e.started_at,
        e.completed_at,
        e.last_event_at,
        e.partner_data,
        cert,
    )


def test_progress_only_rises(enrollment, django_capture_on_commit_callbacks):
    enrollment_apply_event(event(progress=80, at=1))
    enrollment_apply_event(event(progress=40, at=2))
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 80 and enrollment.status == EnrollmentStatus.ACTIVE
    assert enrollment.last_event_at == T0 + timedelta(minutes=2)


def test_completed_never_goes_back(enrollment):
    enrollment_apply_event(event(EventType.COURSE_COMPLETED, at=5))
    enrollment_apply_event(event(progress=30, at=9))
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.progress_percent == 100
    assert enrollment.completed_at == T0 + timedelta(minutes=5)


def test_the_same_event_twice_changes_nothing_the_second_time(enrollment):
    first = enrollment_apply_event(event(progress=50, eid="msg_1"))
    second = enrollment_apply_event(event(progress=50, eid="msg_1"))
    assert first.changed and not second.changed and second.duplicate
    assert EnrollmentEvent.objects.filter(enrollment=enrollment).count() == 1


def test_a_duplicate_writes_nothing_even_when_the_row_moved_since(enrollment):
    """The record of the first application, not the enrollment's state, makes the second
    a duplicate: staff set progress back, and the redelivered event does not redo it."""
    enrollment_apply_event(event(progress=50, eid="msg_1"))
    Enrollment.objects.filter(pk=enrollment.pk).update(progress_percent=10)
    again = enrollment_apply_event(event(progress=50, eid="msg_1"))
    assert again.duplicate and not again.changed and again.changes == {}
    assert again.enrollment.progress_percent == 10  # the returned instance is as stored
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 10
    assert EnrollmentEvent.objects.filter(enrollment=enrollment).count() == 1


def test_two_concurrent_copies_of_an_event_apply_it_once(postgres):
    """Each copy locks the row, then the unique (enrollment, event key) lets one record in;
    the other waits on it and is told it is a duplicate."""
    import threading

    from django.db import close_old_connections, connection

    enrollment = make_enrollment(
        course=make_course(partner("hsi"), validity_months=24),
        status=EnrollmentStatus.ACTIVE,
        external_enrollment_id="E-1",
    )
    copies = 4
    barrier, outcomes = threading.Barrier(copies), []

    def apply():
        close_old_connections()
        try:
            barrier.wait()
            result = enrollment_apply_event(event(EventType.COURSE_COMPLETED, eid="msg_9"))
            outcomes.append("duplicate" if result.duplicate else "applied")
        finally:
            connection.close()

    threads = [threading.Thread(target=apply) for _ in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["applied"] + ["duplicate"] * (copies - 1)
    assert EnrollmentEvent.objects.filter(enrollment=enrollment).count() == 1
    assert StudentEmail.objects.filter(enrollment=enrollment).count() == 1


def test_an_old_score_never_overwrites_a_newer_one(enrollment):
    enrollment_apply_event(event(at=10, score=Decimal("810"), passed=True))
    enrollment_apply_event(event(at=5, score=Decimal("640"), passed=False))
    enrollment.refresh_from_db()
    assert (enrollment.score, enrollment.passed) == (Decimal("810"), True)


def test_a_certificate_is_set_once(enrollment):
    enrollment_apply_event(event(EventType.CERTIFICATE_ISSUED, cert=CERT, at=3))
    enrollment_apply_event(event(EventType.CERTIFICATE_ISSUED, cert=CERT, at=4))
    other = CertificateResult(number="C-2", issued_at=T0)
    result = enrollment_apply_event(event(EventType.CERTIFICATE_ISSUED, cert=other, at=6, eid="x"))
    assert Certificate.objects.get(enrollment=enrollment).number == "C-1"
    assert "ignored" in EnrollmentEvent.objects.get(event_key="webhook:x").note
    assert not result.changes.get("certificate")
    cert = Certificate.objects.get(enrollment=enrollment)
    assert cert.expires_at == cert.issued_at.replace(year=cert.issued_at.year + 2)


def test_a_failed_exam_is_not_a_completion(enrollment):
    enrollment_apply_event(
        event(EventType.COURSE_COMPLETED, at=1, passed=False, score=Decimal("600"))
    )
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE and enrollment.passed is False


def test_unknown_enrollment_raises(db):
    with pytest.raises(EnrollmentNotFound, match="E-404"):
        enrollment_apply_event(event(ext="E-404"))


def test_match_by_student_and_course(enrollment):
    e = PartnerEvent(
        type=EventType.PROGRESS_UPDATED,
        partner="hsi",
        occurred_at=T0,
        student_ref=enrollment.student.external_ref,
        course_code=enrollment.course.code,
        progress_percent=35,
        source=EventSource.IMPORT,
    )
    assert enrollment_apply_event(e).enrollment.pk == enrollment.pk


def test_cancelled_enrollments_only_record(enrollment):
    Enrollment.objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.CANCELLED)
    result = enrollment_apply_event(event(progress=60, eid="m"))
    assert not result.changed
    assert "cancelled" in EnrollmentEvent.objects.get().note


def test_a_certificate_for_a_cancelled_enrollment_is_ignored_and_sends_nothing(
    enrollment, django_capture_on_commit_callbacks
):
    Enrollment.objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        result = enrollment_apply_event(
            event(EventType.CERTIFICATE_ISSUED, cert=CERT, at=3, eid="late-cert")
        )
    assert result.ignored and not result.changed and not result.changes
    assert not Certificate.objects.filter(enrollment=enrollment).exists()
    assert mail.outbox == [] and not StudentEmail.objects.exists()
    record = EnrollmentEvent.objects.get(event_key="webhook:late-cert")
    assert record.note.startswith("ignored: the enrollment is cancelled")
    assert record.changes == {}


def test_an_event_by_student_and_course_waits_for_the_partner_to_confirm(enrollment):
    """Provisioning has not enrolled the student at the partner yet (it is waiting to
    retry): an event found by student and course must not make the enrollment active
    with no partner enrollment behind it, a state nothing could move on from."""
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=EnrollmentStatus.REQUESTED, external_enrollment_id=""
    )
    by_student = PartnerEvent(
        type=EventType.PROGRESS_UPDATED,
        partner="hsi",
        occurred_at=T0,
        student_ref=enrollment.student.external_ref,
        course_code=enrollment.course.code,
        progress_percent=35,
        event_id="by-student",
    )
    with pytest.raises(EnrollmentNotConfirmed, match="has not confirmed"):
        enrollment_apply_event(by_student)
    assert issubclass(EnrollmentNotConfirmed, EnrollmentNotFound)  # webhooks defer it
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED and enrollment.progress_percent == 0
    assert not EnrollmentEvent.objects.exists()

    # Once provisioning has the partner's enrollment id, the same event applies.
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=EnrollmentStatus.SUBMITTED, external_enrollment_id="E-1"
    )
    assert enrollment_apply_event(by_student).changed
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE and enrollment.progress_percent == 35


def test_equal_times_are_broken_by_value_not_by_arrival(db):
    course = make_course(partner("hsi"))
    results = []
    for n, order in enumerate((((640, False), (810, True)), ((810, True), (640, False)))):
        target = make_enrollment(course=course, status="active", external_enrollment_id=f"T{n}")
        for score, passed in order:
            enrollment_apply_event(
                replace(
                    event(at=7, score=Decimal(score), passed=passed), external_enrollment_id=f"T{n}"
                )
            )
        target.refresh_from_db()
        results.append((target.score, target.passed))
    assert results == [(Decimal("810"), True)] * 2


@pytest.mark.parametrize("score", ["1e20", "NaN", "Infinity", "-3"])
def test_an_unusable_score_is_left_out_with_a_record_and_the_progress_kept(enrollment, score):
    result = enrollment_apply_event(event(progress=60, score=Decimal(score), eid="bad-score"))
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 60 and enrollment.score is None
    assert result.problems and "score" in result.problems[0]
    record = EnrollmentEvent.objects.get(event_key="webhook:bad-score")
    assert "left out: score" in record.note and record.changes["progress_percent"] == 60


def test_a_certificate_link_that_is_not_http_is_never_kept(
    enrollment, django_capture_on_commit_callbacks
):
    cert = replace(
        CERT, url="javascript:alert(document.cookie)", verification_url="https://v.example/C-1"
    )
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_apply_event(event(EventType.CERTIFICATE_ISSUED, cert=cert, eid="js"))
    stored = Certificate.objects.get(enrollment=enrollment)
    assert (stored.url, stored.verification_url) == ("", "https://v.example/C-1")
    [message] = [m for m in mail.outbox if "certificate" in m.subject.lower()]
    html = (
        message.alternatives[0].content
        if hasattr(message.alternatives[0], "content")
        else (message.alternatives[0][0])
    )
    assert "javascript:" not in message.body and "javascript:" not in html
    assert "url" in EnrollmentEvent.objects.get(event_key="webhook:js").note


def test_a_poll_that_changes_nothing_writes_nothing(enrollment):
    def poll(progress):
        return replace(event(progress=progress), source=EventSource.POLL, occurred_at=T0)

    first = enrollment_apply_event(poll(40))
    enrollment.refresh_from_db()
    written = enrollment.updated_at
    for minutes in (5, 10):
        again = replace(poll(40), occurred_at=T0 + timedelta(minutes=minutes), raw={"n": minutes})
        result = enrollment_apply_event(again)
        assert not result.changed and result.changes == {}
    enrollment.refresh_from_db()
    assert first.changed and EnrollmentEvent.objects.filter(enrollment=enrollment).count() == 1
    assert enrollment.updated_at == written and enrollment.last_event_at == T0


def test_a_first_answer_at_zero_is_not_a_start(enrollment):
    enrollment_apply_event(event(EventType.ENROLLMENT_CREATED, at=1, progress=0))
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE and enrollment.started_at is None
    enrollment_apply_event(event(at=9, progress=10))
    enrollment.refresh_from_db()
    assert enrollment.started_at == T0 + timedelta(minutes=9)


def test_unknown_types_change_nothing(enrollment):
    result = enrollment_apply_event(event(EventType.UNKNOWN, progress=70, eid="u"))
    assert not result.changed
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 0


def test_side_effects_fire_once_on_the_transition_after_commit(
    enrollment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enrollment_apply_event(event(EventType.COURSE_COMPLETED, at=1))
        enrollment_apply_event(event(EventType.COURSE_COMPLETED, at=2))
        enrollment_apply_event(event(EventType.CERTIFICATE_ISSUED, cert=CERT, at=3))
        enrollment_apply_event(event(EventType.CERTIFICATE_ISSUED, cert=CERT, at=4))
    assert len(callbacks) == 2
    subjects = sorted(m.subject for m in mail.outbox)
    assert (
        len(subjects) == 2
        and any("completed" in s for s in subjects)
        and any("certificate" in s for s in subjects)
    )
    assert StudentEmail.objects.filter(enrollment=enrollment).count() == 2


def test_nothing_is_sent_when_the_transaction_rolls_back(
    enrollment, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            with transaction.atomic():
                enrollment_apply_event(event(EventType.COURSE_COMPLETED, at=1))
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == [] and mail.outbox == []


# -- property: any order, any repetition ---------------------------------------------------

event_strategy = st.builds(
    lambda kind, minute, progress, score, passed, with_cert: event(
        kind,
        at=minute,
        eid=f"m{minute}-{kind}-{progress}-{score}-{passed}-{with_cert}",
        progress=progress,
        score=Decimal(score) if score is not None else None,
        passed=passed,
        cert=CERT if with_cert else None,
    ),
    kind=st.sampled_from(
        [
            EventType.ENROLLMENT_CREATED,
            EventType.PROGRESS_UPDATED,
            EventType.COURSE_COMPLETED,
            EventType.CERTIFICATE_ISSUED,
        ]
    ),
    # Few times and values: events often share a time, and the result must not depend on
    # which of them arrived first.
    minute=st.integers(0, 2),
    progress=st.none() | st.integers(0, 100),
    score=st.none() | st.sampled_from([640, 700, 810]),
    passed=st.none() | st.booleans(),
    with_cert=st.booleans(),
)


@pytest.mark.django_db
@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    events=st.lists(event_strategy, min_size=1, max_size=7, unique_by=lambda e: e.event_id),
    data=st.data(),
)
def test_any_order_and_repetition_gives_the_sorted_result(events, data):
    n = next(EXAMPLE)  # examples share one database: each gets enrollments of its own
    course = make_course(partner("hsi"), validity_months=24)
    reference = make_enrollment(course=course, status="submitted", external_enrollment_id=f"R-{n}")
    shuffled = make_enrollment(
        course=make_course(partner("hsi"), validity_months=24),
        status="submitted",
        external_enrollment_id=f"S-{n}",
    )

    for e in sorted(events, key=lambda e: e.occurred_at):
        enrollment_apply_event(_for(e, reference.external_enrollment_id))
    mixed = data.draw(
        st.lists(st.sampled_from(events), min_size=len(events), max_size=3 * len(events))
    )
    for e in data.draw(st.permutations(events)) + mixed:
        enrollment_apply_event(_for(e, shuffled.external_enrollment_id))

    assert state(shuffled) == state(reference)


def _for(e: PartnerEvent, external_id: str) -> PartnerEvent:
    return replace(e, external_enrollment_id=external_id)
