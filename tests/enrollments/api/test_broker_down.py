"""An enrollment the API saved is answered 201 even when the broker cannot take the
provisioning message: reconcile provisions it once the broker is back."""

import pytest
from kombu.exceptions import OperationalError

from enrollments import tasks
from enrollments.models import Enrollment, EnrollmentStatus
from tests.factories import make_course, make_student, partner


def test_the_broker_really_is_down(broker_down):
    with pytest.raises(OperationalError):
        tasks.provision_enrollment.delay(0)


def test_an_enrollment_is_saved_and_answered_201_while_the_broker_is_down(
    api, broker_down, django_capture_on_commit_callbacks, caplog
):
    student, course = make_student(), make_course(partner("hsi"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(
            "/api/v1/enrollments/", {"student": student.pk, "course": course.pk}, format="json"
        )
    assert response.status_code == 201, response.content
    assert len(callbacks) == 1  # the publish was attempted, and failed
    enrollment = Enrollment.objects.get(pk=response.json()["id"])
    assert enrollment.status == EnrollmentStatus.REQUESTED
    assert "reconcile job will pick it up" in caplog.text
