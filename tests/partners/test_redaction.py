"""Redaction: secrets and personal identifiers by key name, wherever they appear; the
contact details a partner matches learners by are kept."""

import json

import pytest
import responses

from monitoring.models import PartnerRequestLog
from partners.client import PartnerClient
from partners.redaction import REDACTED, is_sensitive, redact_body, redact_headers, redact_url

PERSONAL = [
    "ssn",
    "SSN",
    "ssnLast4",
    "student_ssn",
    "social_security_number",
    "socialSecurityNumber",
    "sin",
    "date_of_birth",
    "dateOfBirth",
    "DOB",
    "studentDob",
    "birth_date",
    "birthDate",
    "birthday",
    "national_id",
    "nationalIdNumber",
    "passport_number",
    "passportNo",
    "driver_license",
    "driversLicenseNumber",
    "driving_licence",
    "tax_id",
    "taxpayerId",
    "TIN",
    "itin",
]
KEPT = [
    "email",
    "phone",
    "firstName",
    "last_name",
    "externalId",
    "businessName",
    "className",
    "destination",
    "position",
    "adobeId",
    "courseCode",
    "enrollment_id",
]


@pytest.mark.parametrize("name", PERSONAL)
def test_personal_identifiers_are_sensitive(name):
    assert is_sensitive(name)


@pytest.mark.parametrize("name", KEPT)
def test_contact_details_and_ordinary_fields_are_kept(name):
    assert not is_sensitive(name)


def test_everywhere_a_key_appears():
    body = json.dumps(
        {"learner": [{"dateOfBirth": "1990-04-01", "email": "a@b.c"}], "ssn": "123-45-6789"}
    )
    assert json.loads(redact_body(body)) == {
        "learner": [{"dateOfBirth": REDACTED, "email": "a@b.c"}],
        "ssn": REDACTED,
    }
    assert redact_headers({"X-Student-DOB": "1990-04-01"}) == {"X-Student-DOB": REDACTED}
    assert "123" not in redact_url("https://p.test/lookup?ssn=123-45-6789&course=9")


@responses.activate
def test_a_request_log_keeps_no_personal_identifier(catalogue):
    responses.post(
        "https://partner.test/api/students",
        status=201,
        json={"id": "S-1", "birth_date": "1990-04-01", "email": "a@b.c"},
    )
    client = PartnerClient(partner="hsi", base_url="https://partner.test/api")
    client.post(
        "/students",
        operation="create_account",
        idempotency_key="k",
        json={"email": "a@b.c", "phone": "555-0100", "date_of_birth": "1990-04-01", "ssn": "9"},
    )
    log = PartnerRequestLog.objects.get()
    request, response = json.loads(log.request_body), json.loads(log.response_body)
    assert request == {
        "email": "a@b.c",
        "phone": "555-0100",
        "date_of_birth": REDACTED,
        "ssn": REDACTED,
    }
    assert response == {"id": "S-1", "birth_date": REDACTED, "email": "a@b.c"}
