"""Milady's (Cengage) assumed API contract (v1). See docs/partners/milady.md."""

SLUG = "milady"
NAME = "Milady"

CREATE_STUDENT = "/api/v1/students"
ENROLL = "/api/v1/enrollments"
PROGRESS = "/api/v1/enrollments/{id}/progress"
CERTIFICATE = "/api/v1/enrollments/{id}/certificate"
SSO_LAUNCH = "/api/v1/sso/launch"

# Enrolment and progress statuses as Milady spells them.
STATUS_ACTIVE = "Active"
STATUS_NOT_STARTED = "NotStarted"
STATUS_IN_PROGRESS = "InProgress"
STATUS_COMPLETED = "Completed"

# Milady answers 200 for a certificate that does not exist yet, with this status.
CERTIFICATE_ISSUED = "Issued"
CERTIFICATE_NOT_ISSUED = "NotIssued"
