from tests.partners.contract import ContractCase, Mock

CASE = ContractCase(
    slug="milady",
    course_code="MIL-COSMO-STD",
    auth_headers=("Authorization", "X-School-Id"),
    mocks={
        "create_account": [
            Mock(
                "POST",
                "/api/v1/students",
                {
                    "StudentId": "MIL-S-100",
                    "UserName": "ana@example.org",
                    "LoginUrl": "https://milady.example/login",
                },
                status=201,
                expect={
                    "FirstName": "Ana",
                    "LastName": "Lopez",
                    "Email": "ana@example.org",
                    "StudentNumber": "S-1",
                },
            )
        ],
        "enroll": [
            Mock(
                "POST",
                "/api/v1/enrollments",
                {
                    "EnrollmentId": "MIL-E-200",
                    "StudentId": "MIL-S-100",
                    "CourseCode": "MIL-COSMO-STD",
                    "Status": "Active",
                    "PromoCode": "MILADY-SCHOOL25",
                    "DiscountApplied": True,
                    "LaunchUrl": "https://milady.example/course/200",
                },
                status=201,
                expect={
                    "StudentId": "MIL-S-100",
                    "CourseCode": "MIL-COSMO-STD",
                    "ExternalReference": "42",
                    "PromoCode": "MILADY-SCHOOL25",
                },
            )
        ],
        "get_progress": [
            Mock(
                "GET",
                "/api/v1/enrollments/MIL-E-200/progress",
                {
                    "EnrollmentId": "MIL-E-200",
                    "Status": "InProgress",
                    "PercentComplete": 45,
                    "LessonsCompleted": 18,
                    "LessonsTotal": 40,
                    "FinalExamScore": None,
                    "CompletionDate": None,
                },
            )
        ],
        "get_certificate": [
            Mock(
                "GET",
                "/api/v1/enrollments/MIL-E-200/certificate",
                {
                    "EnrollmentId": "MIL-E-200",
                    "CertificateStatus": "Issued",
                    "CertificateId": "MIL-CERT-9",
                    "IssuedDate": "2026-03-01T10:00:00",
                    "ExpirationDate": None,
                    "CertificateUrl": "https://milady.example/certificates/9.pdf",
                    "VerificationUrl": "https://milady.example/verify/9",
                },
            )
        ],
        "sso_launch_url": [
            Mock(
                "POST",
                "/api/v1/sso/launch",
                {"Url": "https://milady.example/sso?t=abc", "ExpiresAt": "2026-03-01T10:05:00"},
                expect={"StudentId": "MIL-S-100", "EnrollmentId": "MIL-E-200"},
            )
        ],
    },
    account_id="MIL-S-100",
    enrollment_id="MIL-E-200",
    progress_percent=45,
    certificate_number="MIL-CERT-9",
    certificate_expires_at=None,  # theory-completion certificates carry no expiry
    launch_url="https://milady.example/sso?t=abc",
    # Milady's "not yet" is a 200 with its own status, not a 404.
    no_certificate=Mock(
        "GET",
        "/api/v1/enrollments/MIL-E-200/certificate",
        {"EnrollmentId": "MIL-E-200", "CertificateStatus": "NotIssued"},
    ),
    request_extras={"promo_code": "MILADY-SCHOOL25"},
)
