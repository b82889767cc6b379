"""HSI's assumed API contract (v1). See docs/partners/hsi.md."""

from partners.contract import (
    AccountFields,
    CertificateFields,
    EnrollmentFields,
    LaunchFields,
    Paths,
    ProgressFields,
    ProgressState,
)

SLUG = "hsi"
NAME = "HSI"

PATHS = Paths(
    create_account="/api/v1/students",
    enroll="/api/v1/enrollments",
    progress="/api/v1/enrollments/{id}/progress",
    certificate="/api/v1/enrollments/{id}/certificate",
    sso_launch="/api/v1/sso/launch",
)

# Enrolment and progress statuses (Otis spells them in snake case).
STATUS_ENROLLED = "enrolled"
STATUS_IN_PROGRESS = "in_progress"
STATUS_COMPLETED = "completed"

# Remote Skills Verification courses are enrolled as `rsv`; everything else is blended
# (online part + an in-person skills check).
ENROLLMENT_TYPE_RSV = "rsv"
ENROLLMENT_TYPE_BLENDED = "blended"

ACCOUNT_FIELDS = AccountFields(
    first_name="firstName",
    last_name="lastName",
    email="email",
    external_ref="externalId",
    id="studentId",
    username="username",
    login_url="loginUrl",
)

ENROLLMENT_FIELDS = EnrollmentFields(
    account_id="studentId",
    course_code="courseCode",
    reference="externalReference",
    id="enrollmentId",
    status="status",
    active=frozenset({STATUS_ENROLLED, STATUS_IN_PROGRESS}),
    launch_url="launchUrl",
)

PROGRESS_FIELDS = ProgressFields(
    status="status",
    states={
        STATUS_ENROLLED: ProgressState.NOT_STARTED,
        STATUS_IN_PROGRESS: ProgressState.STARTED,
        STATUS_COMPLETED: ProgressState.COMPLETED,
    },
    percent="percentComplete",
    completed_at="completedDate",
)

CERTIFICATE_FIELDS = CertificateFields(
    number="cardNumber",
    issued_at="issueDate",
    expires_at="expirationDate",
    url="certificateUrl",
    verification_url="validationUrl",
)

LAUNCH_FIELDS = LaunchFields(
    account_id="studentId",
    enrollment_id="enrollmentId",
    url="launchUrl",
    expires_at="expiresAt",
)
