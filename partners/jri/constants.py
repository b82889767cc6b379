"""JRI's (Job Ready Indy) assumed API contract. See docs/partners/jri.md."""

from partners.contract import (
    AccountFields,
    CertificateFields,
    EnrollmentFields,
    LaunchFields,
    Paths,
)

SLUG = "jri"
NAME = "JRI"

PATHS = Paths(
    create_account="/api/users",
    enroll="/api/enrollments",
    progress="/api/enrollments/{id}/progress",
    certificate="/api/enrollments/{id}/certificate",
    sso_launch="/api/sso/launch",
    verify_certificate="/api/certificates/{number}/verify",
)

# Enrolment statuses.
STATUS_ENROLLED = "enrolled"
STATUS_IN_PROGRESS = "in_progress"

# JRI's courses are SCORM packages and its progress answer uses the SCORM 2004 run-time
# vocabulary (cmi.completion_status, cmi.success_status).
COMPLETION_NOT_ATTEMPTED = "not attempted"
COMPLETION_INCOMPLETE = "incomplete"
COMPLETION_COMPLETED = "completed"
SUCCESS_UNKNOWN = "unknown"
SUCCESS_PASSED = "passed"
SUCCESS_FAILED = "failed"

ACCOUNT_FIELDS = AccountFields(
    first_name="first_name",
    last_name="last_name",
    email="email",
    external_ref="external_id",
    id="user_id",
    username="username",
    login_url="login_url",
)

# JRI's courses are free: an enrolment carries nothing but the course.
ENROLLMENT_FIELDS = EnrollmentFields(
    account_id="user_id",
    course_code="course_code",
    reference="external_reference",
    id="enrollment_id",
    status="status",
    active=frozenset({STATUS_ENROLLED, STATUS_IN_PROGRESS}),
    launch_url="launch_url",
)

# JRI's certificates do not expire today; take a date if JRI ever sends one.
CERTIFICATE_FIELDS = CertificateFields(
    number="certificate_number",
    issued_at="issued_on",
    expires_at="expires_on",
    url="pdf_url",
    verification_url="verify_url",
)

# A signed-in launch URL for the user (and course, when named).
LAUNCH_FIELDS = LaunchFields(
    account_id="user_id",
    enrollment_id="enrollment_id",
    url="launch_url",
    expires_at="valid_until",
)
