from datetime import UTC, datetime

from tests.partners.contract import ContractCase, Mock

CASE = ContractCase(
    slug="hsi",
    course_code="ASHI-FA-CPR-AED-RSV",
    auth_headers=("X-API-Key", "X-API-Secret", "X-Organization-Id"),
    mocks={
        "create_account": [
            Mock(
                "POST",
                "/api/v1/students",
                {
                    "studentId": "HSI-S-100",
                    "username": "ana@example.org",
                    "loginUrl": "https://otis.example/login",
                },
                status=201,
                expect={
                    "firstName": "Ana",
                    "lastName": "Lopez",
                    "email": "ana@example.org",
                    "externalId": "S-1",
                },
            )
        ],
        "enroll": [
            Mock(
                "POST",
                "/api/v1/enrollments",
                {
                    "enrollmentId": "HSI-E-200",
                    "status": "enrolled",
                    "launchUrl": "https://otis.example/c/200",
                },
                status=201,
                expect={
                    "studentId": "HSI-S-100",
                    "courseCode": "ASHI-FA-CPR-AED-RSV",
                    "enrollmentType": "rsv",
                },
            )
        ],
        "get_progress": [
            Mock(
                "GET",
                "/api/v1/enrollments/HSI-E-200/progress",
                {
                    "enrollmentId": "HSI-E-200",
                    "percentComplete": 40,
                    "status": "in_progress",
                    "completedDate": None,
                },
            )
        ],
        "get_certificate": [
            Mock(
                "GET",
                "/api/v1/enrollments/HSI-E-200/certificate",
                {
                    "cardNumber": "HSI-CARD-9",
                    "issueDate": "2026-03-01T10:00:00Z",
                    "expirationDate": "2028-03-01T10:00:00Z",
                    "certificateUrl": "https://otis.example/cards/9.pdf",
                    "validationUrl": "https://otis.example/validate/9",
                },
            )
        ],
        "sso_launch_url": [
            Mock(
                "POST",
                "/api/v1/sso/launch",
                {
                    "launchUrl": "https://otis.example/sso?t=abc",
                    "expiresAt": "2026-03-01T10:05:00Z",
                },
                expect={"studentId": "HSI-S-100", "enrollmentId": "HSI-E-200"},
            )
        ],
    },
    account_id="HSI-S-100",
    enrollment_id="HSI-E-200",
    progress_percent=40,
    certificate_number="HSI-CARD-9",
    certificate_expires_at=datetime(2028, 3, 1, 10, tzinfo=UTC),
    launch_url="https://otis.example/sso?t=abc",
    no_certificate=Mock(
        "GET",
        "/api/v1/enrollments/HSI-E-200/certificate",
        {"error": {"code": "certificate_not_issued", "message": "no card issued yet"}},
        status=404,
    ),
)
