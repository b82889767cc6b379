"""NRF Foundation RISE Up's assumed API contract (v1). See docs/partners/nrf.md."""

from partners.contract import (
    AccountFields,
    CertificateFields,
    EnrollmentFields,
    LaunchFields,
    Paths,
    ProgressFields,
    ProgressState,
)

SLUG = "nrf"
NAME = "NRF RISE Up"

PATHS = Paths(
    create_account="/api/v1/learners",
    enroll="/api/v1/enrollments",
    progress="/api/v1/enrollments/{id}/progress",
    certificate="/api/v1/enrollments/{id}/certificate",
    sso_launch="/api/v1/sso/token",
    verify_certificate="/api/v1/credentials/{number}/verify",
)

# Enrollment states (RISE Up answers enums in upper case).
STATE_ENROLLED = "ENROLLED"
STATE_IN_PROGRESS = "IN_PROGRESS"
STATE_COMPLETED = "COMPLETED"

# The credential exam inside an enrollment.
EXAM_NOT_TAKEN = "NOT_TAKEN"
EXAM_PASSED = "PASSED"
EXAM_FAILED = "FAILED"

# The certificate answer's status: a credential is earned at the exam, but its certificate
# link arrives one to two days later (PARTNERS.md), so PENDING is a normal state.
CERTIFICATE_NOT_EARNED = "NOT_EARNED"
CERTIFICATE_PENDING = "PENDING"
CERTIFICATE_ISSUED = "ISSUED"

# Credential verification.
CREDENTIAL_VALID = "VALID"
CREDENTIAL_EXPIRED = "EXPIRED"
CREDENTIAL_REVOKED = "REVOKED"

# RISE Up has no user name: a learner signs in with the e-mail.
ACCOUNT_FIELDS = AccountFields(
    first_name="firstName",
    last_name="lastName",
    email="email",
    external_ref="externalLearnerId",
    id="learnerId",
    username="email",
    login_url="portalUrl",
)

# `course_code` is the credential code. A voucher code pays for the credential exam;
# it is only sent when we have one: RISE Up reads an empty code as an invalid voucher.
ENROLLMENT_FIELDS = EnrollmentFields(
    account_id="learnerId",
    course_code="credentialCode",
    reference="externalReference",
    id="enrollmentId",
    status="state",
    active=frozenset({STATE_ENROLLED, STATE_IN_PROGRESS}),
    launch_url="launchUrl",
    extras={"voucher_code": "voucherCode"},
)

# Course progress plus the credential exam: COMPLETED means the exam was passed. A failed
# exam leaves the enrollment IN_PROGRESS, possibly at 100 % (the course done, the
# credential not): the figure is kept as RISE Up gives it; completion is the state.
PROGRESS_FIELDS = ProgressFields(
    status="state",
    states={
        STATE_ENROLLED: ProgressState.NOT_STARTED,
        STATE_IN_PROGRESS: ProgressState.STARTED,
        STATE_COMPLETED: ProgressState.COMPLETED,
    },
    percent="percentComplete",
    score="exam.score",
    passed="exam.status",
    passed_values={EXAM_PASSED: True, EXAM_FAILED: False},
    completed_at="completedAt",
)

# RISE Up answers 200 PENDING while the credential's certificate link is on its way,
# so a 404 here means the enrollment itself is unknown and is raised.
CERTIFICATE_FIELDS = CertificateFields(
    number="credentialId",
    issued_at="issuedAt",
    expires_at="expiresAt",
    url="certificateUrl",
    verification_url="verificationUrl",
    status="status",
    issued=CERTIFICATE_ISSUED,
)

# An SSO token and the launch URL that carries it; it lives `expiresIn` seconds.
LAUNCH_FIELDS = LaunchFields(
    account_id="learnerId",
    enrollment_id="enrollmentId",
    url="launchUrl",
    expires_in="expiresIn",
)
