"""An enrollment's timeline: its events, e-mails and (added by monitoring, which
enrollments does not import) the partner calls made for it, oldest first."""

from datetime import timedelta

from django.utils import timezone

from enrollments.selectors import enrollment_timeline
from tests.factories import (
    make_enrollment,
    make_enrollment_event,
    make_request_log,
    make_student_email,
)


def test_the_timeline_holds_events_emails_and_partner_calls_in_order(db):
    enrollment = make_enrollment()
    now = timezone.now()
    log = make_request_log(enrollment=enrollment, operation="enroll")
    make_enrollment_event(enrollment=enrollment, changes={"status": "active"})
    make_student_email(enrollment=enrollment)
    entries = enrollment_timeline(enrollment)

    assert entries[0].kind == "event" and entries[0].title == "Requested"
    assert sorted({e.kind for e in entries}) == ["call", "email", "event"]
    [call] = [e for e in entries if e.kind == "call"]
    assert call.title == "POST enroll (attempt 1)" and call.ok
    assert call.link == f"/admin/monitoring/partnerrequestlog/{log.pk}/change/"
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert all(e.at <= now + timedelta(seconds=5) for e in entries)
