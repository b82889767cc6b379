"""NDS's (National Drug Screening) assumed API contract. See docs/partners/nds.md."""

SLUG = "nds"
NAME = "NDS"

CREATE_PARTICIPANT = "/api/participants"
ENROLL = "/api/enrollments"
STATUS = "/api/enrollments/{id}/status"
CERTIFICATE = "/api/enrollments/{id}/certificate"
SSO_LAUNCH = "/api/sso/launch"

# Enrollment statuses, PascalCase as NDS sends them.
STATUS_ASSIGNED = "Assigned"
STATUS_IN_PROGRESS = "InProgress"
STATUS_COMPLETED = "Completed"
STATUS_FAILED = "Failed"
