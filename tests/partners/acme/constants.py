"""Acme Safety Academy's (made up: the eighth partner of tests/partners/acme/test_acme.py)
API contract: snake_case bodies, `Authorization: Token <key>` + `X-Org-Id`, a 404 until a
certificate is issued."""

from partners.contract import (
    AccountFields,
    CertificateFields,
    EnrollmentFields,
    LaunchFields,
    Paths,
    ProgressFields,
    ProgressState,
)

SLUG = "acme"
NAME = "Acme Safety Academy"

PATHS = Paths(
    create_account="/v1/learners",
    enroll="/v1/enrollments",
    progress="/v1/enrollments/{id}/progress",
    certificate="/v1/enrollments/{id}/certificate",
    sso_launch="/v1/launch",
)

STATUS_ENROLLED = "enrolled"
STATUS_ACTIVE = "active"
STATUS_DONE = "done"

ACCOUNT_FIELDS = AccountFields(
    first_name="first_name",
    last_name="last_name",
    email="email",
    external_ref="our_ref",
    id="learner_id",
    login_url="login_url",
)

ENROLLMENT_FIELDS = EnrollmentFields(
    account_id="learner_id",
    course_code="course",
    reference="our_ref",
    id="enrollment_id",
    status="status",
    active=frozenset({STATUS_ENROLLED, STATUS_ACTIVE}),
    launch_url="launch_url",
)

PROGRESS_FIELDS = ProgressFields(
    status="status",
    states={
        STATUS_ENROLLED: ProgressState.NOT_STARTED,
        STATUS_ACTIVE: ProgressState.STARTED,
        STATUS_DONE: ProgressState.COMPLETED,
    },
    percent="percent",
    score="score",
    passed="passed",
    completed_at="finished_at",
)

CERTIFICATE_FIELDS = CertificateFields(
    number="number",
    issued_at="issued_at",
    expires_at="expires_at",
    url="pdf",
)

LAUNCH_FIELDS = LaunchFields(
    account_id="learner_id", enrollment_id="enrollment_id", url="url", expires_in="ttl"
)
