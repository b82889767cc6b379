"""Acme's ContractCase: canned answers in Acme's shape and what the adapter must make of
them (tests/partners/contract.py)."""

from datetime import UTC, datetime

from tests.partners.contract import ContractCase, Mock

CASE = ContractCase(
    slug="acme",
    course_code="ACME-FORKLIFT",
    auth_headers=("Authorization", "X-Org-Id"),
    mocks={
        "create_account": [
            Mock(
                "POST",
                "/v1/learners",
                {"learner_id": "ACME-L-1", "login_url": "https://acme.example/login"},
                status=201,
                expect={"first_name": "Ana", "email": "ana@example.org", "our_ref": "S-1"},
            )
        ],
        "enroll": [
            Mock(
                "POST",
                "/v1/enrollments",
                {"enrollment_id": "ACME-E-1", "status": "enrolled"},
                status=201,
                expect={"learner_id": "ACME-L-1", "course": "ACME-FORKLIFT", "our_ref": "42"},
            )
        ],
        "get_progress": [
            Mock("GET", "/v1/enrollments/ACME-E-1/progress", {"status": "active", "percent": 35})
        ],
        "get_certificate": [
            Mock(
                "GET",
                "/v1/enrollments/ACME-E-1/certificate",
                {
                    "number": "ACME-C-7",
                    "issued_at": "2026-03-01T09:00:00Z",
                    "expires_at": "2029-03-01T09:00:00Z",
                },
            )
        ],
        "sso_launch_url": [
            Mock(
                "POST",
                "/v1/launch",
                {"url": "https://acme.example/go?t=1", "ttl": 120},
                expect={"learner_id": "ACME-L-1", "enrollment_id": "ACME-E-1"},
            )
        ],
    },
    account_id="ACME-L-1",
    enrollment_id="ACME-E-1",
    progress_percent=35,
    certificate_number="ACME-C-7",
    certificate_expires_at=datetime(2029, 3, 1, 9, tzinfo=UTC),
    launch_url="https://acme.example/go?t=1",
    no_certificate=Mock(
        "GET", "/v1/enrollments/ACME-E-1/certificate", {"error": "not_issued"}, status=404
    ),
)
