"""Drill: an enrolment through the API of a gunicorn web process, provisioned by a worker
(config.celery.send loads the tasks modules in a web process that never imported them).
"""

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from enrollments.models import Enrollment, EnrollmentStatus
from partners.models import PartnerCourse
from tests.factories import make_student
from tests.faults.conftest import wait_for

pytestmark = pytest.mark.faults


def test_an_enrolment_posted_to_the_api_is_answered_201_and_provisioned(drill):
    user = User.objects.create_user("faults-api", is_staff=True, is_superuser=True)
    token = Token.objects.create(user=user)
    course = PartnerCourse.objects.filter(partner__slug="nds", needs_voucher=False).first()
    student = make_student()
    drill.web()
    drill.worker(concurrency=2)  # no beat: only the API's own enqueue can provision it
    response = drill.http.post(
        f"{drill.site_url}/api/v1/enrollments/",
        json={"student": student.pk, "course": course.pk},
        headers={"Authorization": f"Token {token.key}"},
        timeout=30,
    )
    assert response.status_code == 201, (response.status_code, drill.tails())
    wait_for(
        "the enrollment provisioned by the worker",
        lambda: Enrollment.objects.filter(
            pk=response.json()["id"], status=EnrollmentStatus.ACTIVE
        ).exists(),
        seconds=15,
        seen=drill.tails,
    )
