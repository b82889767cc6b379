import json

import pytest
import responses

from partners.hsi.adapter import enrollment_type
from partners.registry import get_adapter
from partners.results import EnrollmentRequest
from partners.simulator import state
from partners.simulator.models import SimEnrollment
from tests.partners.conftest import STUDENT


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("ASHI-FA-CPR-AED-RSV", "rsv"),
        ("ashi-bls-rsv", "rsv"),
        ("ASHI-BLS", "blended"),
        ("MFA-BBP", "blended"),
    ],
)
def test_enrollment_type_follows_the_course(code, kind):
    assert enrollment_type(code) == kind


@responses.activate
def test_blended_course_is_enrolled_as_blended(hsi):
    responses.post(
        hsi.config.base_url + "/api/v1/enrollments",
        json={"enrollmentId": "E-1", "status": "enrolled"},
        status=201,
    )
    hsi.enroll(
        request=EnrollmentRequest(
            account_id="S-1", course_code="ASHI-BLS", reference="7", idempotency_key="k"
        )
    )
    sent = json.loads(responses.calls[0].request.body)
    assert sent["enrollmentType"] == "blended" and sent["externalReference"] == "7"


@responses.activate
def test_card_expiry_is_taken_as_hsi_gives_it(hsi):
    responses.get(
        hsi.config.base_url + "/api/v1/enrollments/E-1/certificate",
        json={"cardNumber": "C-1", "issueDate": "2026-02-03", "expirationDate": "2027-02-03"},
    )
    card = hsi.get_certificate(external_enrollment_id="E-1")
    assert card.expires_at.date().isoformat() == "2027-02-03"


def test_simulated_rsv_enrolment_and_two_year_card(live_simulator):
    adapter = get_adapter("hsi")
    account = adapter.create_account(student=STUDENT, idempotency_key="a")
    enrollment = adapter.enroll(
        request=EnrollmentRequest(
            account_id=account.external_id,
            course_code="ASHI-BLS-RSV",
            reference="1",
            idempotency_key="e",
        )
    )
    row = SimEnrollment.objects.get(external_id=enrollment.external_id)
    assert row.options == {"enrollmentType": "rsv"}
    state.advance(row, to=100)
    card = adapter.get_certificate(external_enrollment_id=enrollment.external_id)
    assert (card.expires_at - card.issued_at).days in range(730, 732)
