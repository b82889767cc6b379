from datetime import UTC, datetime

from tests.partners.contract import ContractCase, Mock

CASE = ContractCase(
    slug="nrf",
    course_code="RISEUP-CSS",
    auth_headers=("Authorization", "X-Partner-Id"),
    mocks={
        "create_account": [
            Mock(
                "POST",
                "/api/v1/learners",
                {
                    "data": {
                        "learnerId": "NRF-L-100",
                        "email": "ana@example.org",
                        "portalUrl": "https://riseup.example/portal",
                    }
                },
                status=201,
                expect={
                    "firstName": "Ana",
                    "lastName": "Lopez",
                    "email": "ana@example.org",
                    "externalLearnerId": "S-1",
                },
            )
        ],
        "enroll": [
            Mock(
                "POST",
                "/api/v1/enrollments",
                {
                    "data": {
                        "enrollmentId": "NRF-E-200",
                        "learnerId": "NRF-L-100",
                        "credentialCode": "RISEUP-CSS",
                        "state": "ENROLLED",
                        "voucherCode": "RU-VCH-0001",
                        "launchUrl": "https://riseup.example/learn/200",
                    }
                },
                status=201,
                expect={
                    "learnerId": "NRF-L-100",
                    "credentialCode": "RISEUP-CSS",
                    "voucherCode": "RU-VCH-0001",
                    "externalReference": "42",
                },
            )
        ],
        "get_progress": [
            Mock(
                "GET",
                "/api/v1/enrollments/NRF-E-200/progress",
                {
                    "data": {
                        "enrollmentId": "NRF-E-200",
                        "state": "IN_PROGRESS",
                        "percentComplete": 70,
                        "exam": {"status": "NOT_TAKEN", "score": None},
                        "completedAt": None,
                    }
                },
            )
        ],
        "get_certificate": [
            Mock(
                "GET",
                "/api/v1/enrollments/NRF-E-200/certificate",
                {
                    "data": {
                        "status": "ISSUED",
                        "credentialId": "NRF-CRED-9",
                        "credentialCode": "RISEUP-CSS",
                        "issuedAt": "2026-03-01T10:00:00Z",
                        "expiresAt": "2029-03-01T10:00:00Z",
                        "certificateUrl": "https://riseup.example/credentials/9.pdf",
                        "verificationUrl": "https://riseup.example/verify/9",
                    }
                },
            )
        ],
        "sso_launch_url": [
            Mock(
                "POST",
                "/api/v1/sso/token",
                {
                    "data": {
                        "token": "tok-abc",
                        "launchUrl": "https://riseup.example/sso?token=tok-abc",
                        "expiresIn": 300,
                    }
                },
                expect={"learnerId": "NRF-L-100", "enrollmentId": "NRF-E-200"},
            )
        ],
    },
    account_id="NRF-L-100",
    enrollment_id="NRF-E-200",
    progress_percent=70,
    certificate_number="NRF-CRED-9",
    # Credentials last three years.
    certificate_expires_at=datetime(2029, 3, 1, 10, tzinfo=UTC),
    launch_url="https://riseup.example/sso?token=tok-abc",
    # RISE Up's own "not yet" shape: 200 with a status, here the exam passed but the
    # certificate link not out yet.
    no_certificate=Mock(
        "GET",
        "/api/v1/enrollments/NRF-E-200/certificate",
        {"data": {"status": "PENDING", "credentialId": None}},
    ),
    request_extras={"voucher_code": "RU-VCH-0001"},
)
