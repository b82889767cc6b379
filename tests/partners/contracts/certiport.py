from tests.partners.contract import ContractCase, Mock

CASE = ContractCase(
    slug="certiport",
    course_code="MO-110",
    auth_headers=("Authorization", "X-Organization-Id"),
    mocks={
        "create_account": [
            Mock(
                "POST",
                "/api/v2/users",
                {
                    "userId": "CP-U-100",
                    "username": "ana@example.org",
                    "portalUrl": "https://certiport.example/portal",
                },
                status=201,
                expect={
                    "givenName": "Ana",
                    "familyName": "Lopez",
                    "email": "ana@example.org",
                    "candidateReference": "S-1",
                },
            )
        ],
        # Enrolment is two calls: an exam voucher, then the registration paid with it.
        "enroll": [
            Mock(
                "POST",
                "/api/v2/vouchers",
                {
                    "voucherCode": "CP-V-777",
                    "examCode": "MO-110",
                    "userId": "CP-U-100",
                    "expiresOn": "2027-03-01T00:00:00Z",
                },
                status=201,
                expect={"userId": "CP-U-100", "examCode": "MO-110"},
            ),
            Mock(
                "POST",
                "/api/v2/enrollments",
                {
                    "enrollmentId": "CP-E-200",
                    "examCode": "MO-110",
                    "voucherCode": "CP-V-777",
                    "status": "Registered",
                },
                status=201,
                expect={
                    "userId": "CP-U-100",
                    "examCode": "MO-110",
                    "voucherCode": "CP-V-777",
                    "externalReference": "42",
                },
            ),
        ],
        "get_progress": [
            Mock(
                "GET",
                "/api/v2/enrollments/CP-E-200/status",
                {
                    "enrollmentId": "CP-E-200",
                    "examCode": "MO-110",
                    "status": "Practicing",
                    "practiceTests": {"completed": 3, "total": 5},
                    "exam": {
                        "score": None,
                        "maxScore": 1000,
                        "passingScore": 700,
                        "result": None,
                        "takenOn": None,
                    },
                },
            )
        ],
        "get_certificate": [
            Mock(
                "GET",
                "/api/v2/enrollments/CP-E-200/certificate",
                {
                    "certificateNumber": "CP-CERT-9",
                    "examCode": "MO-110",
                    "issuedOn": "2026-03-01T10:00:00Z",
                    "expiresOn": None,
                    "certificateUrl": "https://certiport.example/certificates/9.pdf",
                    "verifyUrl": "https://certiport.example/verify/9",
                },
            )
        ],
        "sso_launch_url": [
            Mock(
                "POST",
                "/api/v2/sso/token",
                {
                    "ssoToken": "tok-abc",
                    "launchUrl": "https://certiport.example/sso?token=tok-abc",
                    "expiresIn": 300,
                },
                expect={"userId": "CP-U-100", "enrollmentId": "CP-E-200"},
            )
        ],
    },
    account_id="CP-U-100",
    enrollment_id="CP-E-200",
    progress_percent=60,  # 3 of 5 practice tests, exam not sat
    certificate_number="CP-CERT-9",
    certificate_expires_at=None,  # MOS certifications do not expire
    launch_url="https://certiport.example/sso?token=tok-abc",
    no_certificate=Mock(
        "GET",
        "/api/v2/enrollments/CP-E-200/certificate",
        {"errors": [{"code": "certificate_not_found", "detail": "the exam is not passed yet"}]},
        status=404,
    ),
)
