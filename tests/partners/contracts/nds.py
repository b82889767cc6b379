from tests.partners.contract import ContractCase, Mock

CASE = ContractCase(
    slug="nds",
    # DOT supervisor training: no expiry by rule (tests/partners/nds/ covers one that has).
    course_code="NDS-DOT-SUP",
    auth_headers=("X-API-Key", "X-API-Secret", "X-Client-Id"),
    mocks={
        "create_account": [
            Mock(
                "POST",
                "/api/participants",
                {
                    "ParticipantId": "NDS-P-100",
                    "Email": "ana@example.org",
                    "LoginUrl": "https://training.nds.example/login",
                },
                status=201,
                expect={
                    "FirstName": "Ana",
                    "LastName": "Lopez",
                    "Email": "ana@example.org",
                    "ExternalId": "S-1",
                },
            )
        ],
        "enroll": [
            Mock(
                "POST",
                "/api/enrollments",
                {
                    "EnrollmentId": "NDS-E-200",
                    "Status": "Assigned",
                    "CourseUrl": "https://training.nds.example/course/200",
                },
                status=201,
                expect={
                    "ParticipantId": "NDS-P-100",
                    "CourseId": "NDS-DOT-SUP",
                    "ClientReference": "42",
                },
            )
        ],
        "get_progress": [
            Mock(
                "GET",
                "/api/enrollments/NDS-E-200/status",
                {
                    "EnrollmentId": "NDS-E-200",
                    "CourseId": "NDS-DOT-SUP",
                    "Status": "InProgress",
                    "PercentComplete": 50,
                    "Score": None,
                    "Passed": None,
                    "CompletedOn": None,
                },
            )
        ],
        "get_certificate": [
            Mock(
                "GET",
                "/api/enrollments/NDS-E-200/certificate",
                {
                    "CertificateNumber": "NDS-CERT-9",
                    "CourseId": "NDS-DOT-SUP",
                    "IssuedOn": "2026-03-01T10:00:00",
                    "ExpiresOn": None,
                    "CertificateUrl": "https://training.nds.example/certificates/9.pdf",
                },
            )
        ],
        "sso_launch_url": [
            Mock(
                "POST",
                "/api/sso/launch",
                {
                    "LaunchUrl": "https://training.nds.example/sso?token=abc",
                    "ExpiresUtc": "2026-03-01T10:05:00",
                },
                expect={"ParticipantId": "NDS-P-100", "EnrollmentId": "NDS-E-200"},
            )
        ],
    },
    account_id="NDS-P-100",
    enrollment_id="NDS-E-200",
    progress_percent=50,
    certificate_number="NDS-CERT-9",
    certificate_expires_at=None,
    launch_url="https://training.nds.example/sso?token=abc",
    no_certificate=Mock(
        "GET",
        "/api/enrollments/NDS-E-200/certificate",
        {"Message": "No certificate has been issued.", "ErrorCode": "CertificateNotIssued"},
        status=404,
    ),
)
