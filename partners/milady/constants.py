"""Milady's (Cengage) assumed API contract (v1). See docs/partners/milady.md."""

from partners.contract import (
    AccountFields,
    CertificateFields,
    EnrollmentFields,
    LaunchFields,
    Paths,
    ProgressFields,
    ProgressState,
)

SLUG = "milady"
NAME = "Milady"

PATHS = Paths(
    create_account="/api/v1/students",
    enroll="/api/v1/enrollments",
    progress="/api/v1/enrollments/{id}/progress",
    certificate="/api/v1/enrollments/{id}/certificate",
    sso_launch="/api/v1/sso/launch",
)

# Enrolment and progress statuses as Milady spells them.
STATUS_ACTIVE = "Active"
STATUS_NOT_STARTED = "NotStarted"
STATUS_IN_PROGRESS = "InProgress"
STATUS_COMPLETED = "Completed"

# Milady answers 200 for a certificate that does not exist yet, with this status.
CERTIFICATE_ISSUED = "Issued"
CERTIFICATE_NOT_ISSUED = "NotIssued"

ACCOUNT_FIELDS = AccountFields(
    first_name="FirstName",
    last_name="LastName",
    email="Email",
    external_ref="StudentNumber",
    id="StudentId",
    username="UserName",
    login_url="LoginUrl",
)

ENROLLMENT_FIELDS = EnrollmentFields(
    account_id="StudentId",
    course_code="CourseCode",
    reference="ExternalReference",
    id="EnrollmentId",
    status="Status",
    active=frozenset({STATUS_ACTIVE}),
    launch_url="LaunchUrl",
    # Sent trimmed as the school promo code. Milady refuses an unknown one
    # (PartnerRejectedError): we never fall back to enrolling at full price behind
    # staff's back.
    extras={"promo_code": "PromoCode"},
)

# Lesson progress and the final exam grade (out of 100). Milady's own Completed is
# the finish line; a 100 % without it (final exam still open) stays below 100.
PROGRESS_FIELDS = ProgressFields(
    status="Status",
    states={
        STATUS_NOT_STARTED: ProgressState.NOT_STARTED,
        STATUS_IN_PROGRESS: ProgressState.STARTED,
        STATUS_COMPLETED: ProgressState.COMPLETED,
    },
    percent="PercentComplete",
    score="FinalExamScore",
    completed_at="CompletionDate",
    unfinished_below_100=True,
)

CERTIFICATE_FIELDS = CertificateFields(
    number="CertificateId",
    issued_at="IssuedDate",
    expires_at="ExpirationDate",
    url="CertificateUrl",
    verification_url="VerificationUrl",
    status="CertificateStatus",
    issued=CERTIFICATE_ISSUED,
)

LAUNCH_FIELDS = LaunchFields(
    account_id="StudentId", enrollment_id="EnrollmentId", url="Url", expires_at="ExpiresAt"
)
