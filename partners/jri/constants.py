"""JRI's (Job Ready Indy) assumed API contract. See docs/partners/jri.md."""

SLUG = "jri"
NAME = "JRI"

CREATE_USER = "/api/users"
ENROLL = "/api/enrollments"
PROGRESS = "/api/enrollments/{id}/progress"
CERTIFICATE = "/api/enrollments/{id}/certificate"
VERIFY_CERTIFICATE = "/api/certificates/{number}/verify"
SSO_LAUNCH = "/api/sso/launch"

# JRI's courses are SCORM packages and its progress answer uses the SCORM 2004 run-time
# vocabulary (cmi.completion_status, cmi.success_status).
COMPLETION_NOT_ATTEMPTED = "not attempted"
COMPLETION_INCOMPLETE = "incomplete"
COMPLETION_COMPLETED = "completed"
SUCCESS_UNKNOWN = "unknown"
SUCCESS_PASSED = "passed"
SUCCESS_FAILED = "failed"
