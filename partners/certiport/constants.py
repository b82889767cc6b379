"""Certiport's assumed API contract (v2). See docs/partners/certiport.md."""

from partners.contract import (
    AccountFields,
    CertificateFields,
    EnrollmentFields,
    LaunchFields,
    Paths,
)

SLUG = "certiport"
NAME = "Certiport"

PATHS = Paths(
    create_account="/api/v2/users",
    enroll="/api/v2/enrollments",
    progress="/api/v2/enrollments/{id}/status",
    certificate="/api/v2/enrollments/{id}/certificate",
    sso_launch="/api/v2/sso/token",
)
VOUCHERS = "/api/v2/vouchers"

# Exams are scored out of 1000 and passed at 700 (Certiport's published passing score for
# MOS and IT Specialist exams).
MAX_SCORE = 1000
PASSING_SCORE = 700

# Exam results as Certiport reports them.
RESULT_PASS = "Pass"
RESULT_FAIL = "Fail"

# Enrolment statuses that mean the exam registration is live at Certiport.
ACTIVE_STATUSES = frozenset({"Registered", "Practicing"})

# Appended to our enrolment key for the voucher generated inside `enroll`, so a retried
# enrolment replays the same voucher instead of buying a second one.
VOUCHER_KEY_SUFFIX = ":voucher"

ACCOUNT_FIELDS = AccountFields(
    first_name="givenName",
    last_name="familyName",
    email="email",
    external_ref="candidateReference",
    id="userId",
    username="username",
    login_url="portalUrl",
)

ENROLLMENT_FIELDS = EnrollmentFields(
    account_id="userId",
    course_code="examCode",
    reference="externalReference",
    id="enrollmentId",
    status="status",
    active=ACTIVE_STATUSES,
    # Certiport gives no launch URL at registration: practice tests and the exam are
    # reached through an SSO token (sso_launch_url).
    launch_url="launchUrl",
    # The cohort's group is a Compass exam group.
    extras={"voucher_code": "voucherCode", "group_code": "examGroup"},
)

# MOS / IT Specialist certifications do not expire; a course-level validity applies
# if Certiport ever sends none and we have one.
CERTIFICATE_FIELDS = CertificateFields(
    number="certificateNumber",
    issued_at="issuedOn",
    expires_at="expiresOn",
    url="certificateUrl",
    verification_url="verifyUrl",
)

# The bare token signs the candidate in like the URL does; the URL is all we use, so
# the token is not kept in `raw`.
LAUNCH_FIELDS = LaunchFields(
    account_id="userId",
    enrollment_id="enrollmentId",
    url="launchUrl",
    expires_in="expiresIn",
    token="ssoToken",
)
