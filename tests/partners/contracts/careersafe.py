from tests.partners.contract import ContractCase, Mock

CASE = ContractCase(
    slug="careersafe",
    course_code="OSHA10-GI",
    auth_headers=("X-API-Key", "X-API-Secret", "X-Organization-Code"),
    mocks={
        "create_account": [
            Mock(
                "POST",
                "/api/members",
                {
                    "member_id": "CS-M-100",
                    "username": "ana@example.org",
                    "temporary_password": "Tmp-9f3k2LQ",
                    "login_url": "https://careersafe.example/login",
                },
                status=201,
                expect={
                    "first_name": "Ana",
                    "last_name": "Lopez",
                    "email": "ana@example.org",
                    "student_id": "S-1",
                },
            )
        ],
        "enroll": [
            Mock(
                "POST",
                "/api/enrollments",
                {
                    "enrollment_id": "CS-E-200",
                    "member_id": "CS-M-100",
                    "course_code": "OSHA10-GI",
                    "gradebook_status": "Not Started",
                    "finish_by": "2026-08-28",
                    "launch_url": "https://careersafe.example/course/200",
                },
                status=201,
                expect={"member_id": "CS-M-100", "course_code": "OSHA10-GI", "reference": "42"},
            )
        ],
        "get_progress": [
            Mock(
                "GET",
                "/api/enrollments/CS-E-200/progress",
                {
                    "enrollment_id": "CS-E-200",
                    "member_id": "CS-M-100",
                    "course_code": "OSHA10-GI",
                    "gradebook_status": "In Progress",
                    "percent_complete": 35,
                    "final_exam_score": None,
                    "completed_on": None,
                    "finish_by": "2026-08-28",
                },
            )
        ],
        "get_certificate": [
            Mock(
                "GET",
                "/api/enrollments/CS-E-200/certificate",
                {
                    "card_number": "OSHA-10-123456",
                    "card_type": "OSHA10-GI",
                    "issued_on": "2026-03-01",
                    "expires_on": None,
                    "certificate_url": "https://careersafe.example/cards/123456.pdf",
                    "verification_url": "https://careersafe.example/verify/123456",
                },
            )
        ],
        "sso_launch_url": [
            Mock(
                "POST",
                "/api/sso/launch",
                {
                    "launch_url": "https://careersafe.example/sso?t=abc",
                    "expires_at": "2026-03-01T10:05:00Z",
                },
                expect={"member_id": "CS-M-100", "enrollment_id": "CS-E-200"},
            )
        ],
    },
    account_id="CS-M-100",
    enrollment_id="CS-E-200",
    progress_percent=35,
    certificate_number="OSHA-10-123456",
    certificate_expires_at=None,  # DOL OSHA Outreach cards do not expire
    launch_url="https://careersafe.example/sso?t=abc",
    no_certificate=Mock(
        "GET",
        "/api/enrollments/CS-E-200/certificate",
        {
            "status": "error",
            "error_code": "card_not_issued",
            "error_message": "no completion card issued yet",
        },
        status=404,
    ),
)
