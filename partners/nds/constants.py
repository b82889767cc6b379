"""NDS's (National Drug Screening) assumed API contract. See docs/partners/nds.md."""

from partners.contract import (
    AccountFields,
    CertificateFields,
    EnrollmentFields,
    LaunchFields,
    Paths,
    ProgressFields,
    ProgressState,
)

SLUG = "nds"
NAME = "NDS"

# Progress is a status call, not a progress call.
PATHS = Paths(
    create_account="/api/participants",
    enroll="/api/enrollments",
    progress="/api/enrollments/{id}/status",
    certificate="/api/enrollments/{id}/certificate",
    sso_launch="/api/sso/launch",
)

# Enrollment statuses, PascalCase as NDS sends them.
STATUS_ASSIGNED = "Assigned"
STATUS_IN_PROGRESS = "InProgress"
STATUS_COMPLETED = "Completed"
STATUS_FAILED = "Failed"

ACCOUNT_FIELDS = AccountFields(
    first_name="FirstName",
    last_name="LastName",
    email="Email",
    external_ref="ExternalId",
    id="ParticipantId",
    username="Email",
    login_url="LoginUrl",
)

ENROLLMENT_FIELDS = EnrollmentFields(
    account_id="ParticipantId",
    course_code="CourseId",
    reference="ClientReference",
    id="EnrollmentId",
    status="Status",
    active=frozenset({STATUS_ASSIGNED, STATUS_IN_PROGRESS}),
    launch_url="CourseUrl",
)

# The status call read as progress. `CompletedOn` is offset-less, like every NDS
# timestamp: parse_when takes it as UTC.
PROGRESS_FIELDS = ProgressFields(
    status="Status",
    states={
        STATUS_ASSIGNED: ProgressState.NOT_STARTED,
        STATUS_IN_PROGRESS: ProgressState.STARTED,
        STATUS_FAILED: ProgressState.STARTED,
        STATUS_COMPLETED: ProgressState.COMPLETED,
    },
    percent="PercentComplete",
    score="Score",
    passed="Passed",
    completed_at="CompletedOn",
)

# A null `ExpiresOn` is NDS saying the certificate does not expire (DOT supervisor
# training); it stays None, and only the course's own validity can add one.
CERTIFICATE_FIELDS = CertificateFields(
    number="CertificateNumber",
    issued_at="IssuedOn",
    expires_at="ExpiresOn",
    url="CertificateUrl",
    verification_url="VerificationUrl",
)

# A signed-in launch URL for the participant, valid until `ExpiresUtc`.
LAUNCH_FIELDS = LaunchFields(
    account_id="ParticipantId",
    enrollment_id="EnrollmentId",
    url="LaunchUrl",
    expires_at="ExpiresUtc",
)
