"""CareerSafe's assumed API contract. See docs/partners/careersafe.md."""

from partners.contract import (
    AccountFields,
    CertificateFields,
    EnrollmentFields,
    LaunchFields,
    Paths,
    ProgressFields,
    ProgressState,
)

SLUG = "careersafe"
NAME = "CareerSafe"

PATHS = Paths(
    create_account="/api/members",
    enroll="/api/enrollments",
    progress="/api/enrollments/{id}/progress",
    certificate="/api/enrollments/{id}/certificate",
    sso_launch="/api/sso/launch",
)
ENROLL_GROUP = "/api/enrollments/group"

# Gradebook statuses, exactly as CareerSafe's gradebook spells them.
NOT_STARTED = "Not Started"
IN_PROGRESS = "In Progress"
COMPLETED = "Completed"
PASSED = "Passed"
# The 180-day window to finish ran out: the seat is spent, the course is NOT completed.
LAPSED = "Lapsed"

# A seat is taken and the learner can start: the enrolment is live at CareerSafe.
ACTIVE_STATUSES = frozenset({NOT_STARTED, IN_PROGRESS})

# Days a learner has to finish a course from enrolment.
DAYS_TO_FINISH = 180

# The key CareerSafe puts a new member's one-time password under.
TEMPORARY_PASSWORD = "temporary_password"

ACCOUNT_FIELDS = AccountFields(
    first_name="first_name",
    last_name="last_name",
    email="email",
    external_ref="student_id",
    id="member_id",
    username="username",
    login_url="login_url",
    temporary_password=TEMPORARY_PASSWORD,
)

ENROLLMENT_FIELDS = EnrollmentFields(
    account_id="member_id",
    course_code="course_code",
    reference="reference",
    id="enrollment_id",
    status="gradebook_status",
    active=ACTIVE_STATUSES,
    launch_url="launch_url",
    # A cohort's seat comes from its CareerSafe group.
    extras={"group_code": "group_code"},
)

# Only Completed and Passed finish a course. Lapsed is started and never finished;
# an unknown status is read like In Progress (kept in raw, never a crash). 100 % is what
# downstream reads as done, so a lapsed or unknown row stays below.
PROGRESS_FIELDS = ProgressFields(
    status="gradebook_status",
    states={
        NOT_STARTED: ProgressState.NOT_STARTED,
        IN_PROGRESS: ProgressState.STARTED,
        LAPSED: ProgressState.STARTED,
        COMPLETED: ProgressState.COMPLETED,
        PASSED: ProgressState.COMPLETED,
    },
    percent="percent_complete",
    score="final_exam_score",
    passed="gradebook_status",
    passed_values={PASSED: True},
    completed_at="completed_on",
    unfinished_below_100=True,
)

# DOL OSHA Outreach cards carry no expiry; an employer's refresher rule is a
# course-validity setting on our side, not CareerSafe's.
CERTIFICATE_FIELDS = CertificateFields(
    number="card_number",
    issued_at="issued_on",
    expires_at="expires_on",
    url="certificate_url",
    verification_url="verification_url",
)

LAUNCH_FIELDS = LaunchFields(
    account_id="member_id",
    enrollment_id="enrollment_id",
    url="launch_url",
    expires_at="expires_at",
)
