"""What a webhook event's row says when the write path did not simply apply it: ignored
(with the reason), waiting for the partner to confirm the enrollment, or applied with
part of it left out. For every partner."""

from django.core import mail
from django.utils import timezone

from enrollments.models import Certificate, EnrollmentStatus, StudentEmail
from tests.webhooks.conftest import enrollment_for, event_body, last_delivery
from webhooks.models import EventStatus
from webhooks.processing import event_process


def test_a_certificate_for_a_cancelled_enrollment_is_ignored_with_the_reason(sender):
    enrollment = enrollment_for(sender.slug, status=EnrollmentStatus.CANCELLED)
    certificate = {"number": f"{sender.slug}-C-9", "issued_at": timezone.now().isoformat()}
    response = sender.post(
        event_body(
            "certificate.issued",
            enrollment.external_enrollment_id,
            passed=True,
            certificate=certificate,
        )
    )
    assert response.status_code == 200
    event = last_delivery().event
    assert event.status == EventStatus.IGNORED
    assert event.last_error == "ignored: the enrollment is cancelled and takes no new outcome"
    assert not Certificate.objects.filter(enrollment=enrollment).exists()
    assert mail.outbox == [] and not StudentEmail.objects.filter(enrollment=enrollment).exists()


def test_an_event_for_an_enrollment_still_being_provisioned_waits(sender):
    """Named by student and course while provisioning waits to retry: deferred, not
    applied, so the enrollment cannot turn active without a partner enrollment."""
    enrollment = enrollment_for(sender.slug, status=EnrollmentStatus.REQUESTED)
    partner_id = enrollment.external_enrollment_id
    enrollment.external_enrollment_id = ""
    enrollment.save()
    body = {
        "type": "progress.updated",
        "timestamp": timezone.now().isoformat(),
        "data": {
            "student_ref": enrollment.student.external_ref,
            "course_code": enrollment.course.code,
            "progress_percent": 25,
        },
    }
    sender.post(body)
    event = last_delivery().event
    assert event.status == EventStatus.DEFERRED and "has not confirmed" in event.last_error
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.REQUESTED and enrollment.progress_percent == 0

    # Provisioning gets through; the event's next attempt applies it.
    enrollment.external_enrollment_id = partner_id
    enrollment.status = EnrollmentStatus.SUBMITTED
    enrollment.save()
    assert event_process(event_id=event.pk, force=True) == EventStatus.PROCESSED
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE and enrollment.progress_percent == 25


def test_an_unusable_score_is_left_out_and_the_progress_applied(sender, enrollment):
    sender.post(
        event_body(
            "progress.updated",
            enrollment.external_enrollment_id,
            progress_percent=60,
            score="1e20",
            timestamp=timezone.now().isoformat(),
        )
    )
    event = last_delivery().event
    enrollment.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    assert enrollment.progress_percent == 60 and enrollment.score is None
    assert event.last_error.startswith("invalid partner answer, left out: score 1E+20")
