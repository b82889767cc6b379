from tests.partners.contract import ContractCase, Mock

CASE = ContractCase(
    slug="jri",
    course_code="JRI-CUST-101",
    # Key-only: no X-API-Secret (tests/partners/jri/ checks that none is sent).
    auth_headers=("X-API-Key", "X-Organization-Id"),
    mocks={
        "create_account": [
            Mock(
                "POST",
                "/api/users",
                {
                    "user_id": "JRI-U-100",
                    "username": "ana@example.org",
                    "login_url": "https://learn.jri.example/login",
                },
                status=201,
                expect={
                    "first_name": "Ana",
                    "last_name": "Lopez",
                    "email": "ana@example.org",
                    "external_id": "S-1",
                },
            )
        ],
        "enroll": [
            Mock(
                "POST",
                "/api/enrollments",
                {
                    "enrollment_id": "JRI-E-200",
                    "status": "enrolled",
                    "launch_url": "https://learn.jri.example/scorm/200",
                },
                status=201,
                expect={
                    "user_id": "JRI-U-100",
                    "course_code": "JRI-CUST-101",
                    "external_reference": "42",
                },
            )
        ],
        "get_progress": [
            Mock(
                "GET",
                "/api/enrollments/JRI-E-200/progress",
                {
                    "enrollment_id": "JRI-E-200",
                    "completion_status": "incomplete",
                    "success_status": "unknown",
                    "progress_measure": 0.35,
                    "score": None,
                    "completed_at": None,
                },
            )
        ],
        "get_certificate": [
            Mock(
                "GET",
                "/api/enrollments/JRI-E-200/certificate",
                {
                    "certificate_number": "JRI-CERT-9",
                    "course_code": "JRI-CUST-101",
                    "issued_on": "2026-03-01",
                    "expires_on": None,
                    "pdf_url": "https://learn.jri.example/certificates/9.pdf",
                    "verify_url": "https://learn.jri.example/verify/9",
                },
            )
        ],
        "sso_launch_url": [
            Mock(
                "POST",
                "/api/sso/launch",
                {
                    "launch_url": "https://learn.jri.example/sso?token=abc",
                    "valid_until": "2026-03-01T10:05:00Z",
                },
                expect={"user_id": "JRI-U-100", "enrollment_id": "JRI-E-200"},
            )
        ],
    },
    account_id="JRI-U-100",
    enrollment_id="JRI-E-200",
    progress_percent=35,
    certificate_number="JRI-CERT-9",
    # JRI's certificates carry no expiry.
    certificate_expires_at=None,
    launch_url="https://learn.jri.example/sso?token=abc",
    no_certificate=Mock(
        "GET",
        "/api/enrollments/JRI-E-200/certificate",
        {"error": "certificate_not_available", "error_description": "no certificate issued yet"},
        status=404,
    ),
)
