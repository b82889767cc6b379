"""CareerSafe's assumed API contract. See docs/partners/careersafe.md."""

SLUG = "careersafe"
NAME = "CareerSafe"

CREATE_MEMBER = "/api/members"
ENROLL = "/api/enrollments"
ENROLL_GROUP = "/api/enrollments/group"
PROGRESS = "/api/enrollments/{id}/progress"
CERTIFICATE = "/api/enrollments/{id}/certificate"
SSO_LAUNCH = "/api/sso/launch"

# Gradebook statuses, exactly as CareerSafe's gradebook spells them.
NOT_STARTED = "Not Started"
IN_PROGRESS = "In Progress"
COMPLETED = "Completed"
PASSED = "Passed"
# The 180-day window to finish ran out: the seat is spent, the course is NOT completed.
LAPSED = "Lapsed"

FINISHED_STATUSES = frozenset({COMPLETED, PASSED})
STARTED_STATUSES = frozenset({IN_PROGRESS, COMPLETED, PASSED, LAPSED})
# A seat is taken and the learner can start: the enrolment is live at CareerSafe.
ACTIVE_STATUSES = frozenset({NOT_STARTED, IN_PROGRESS})

# Days a learner has to finish a course from enrolment.
DAYS_TO_FINISH = 180

# The key CareerSafe puts a new member's one-time password under.
TEMPORARY_PASSWORD = "temporary_password"
