"""NRF Foundation RISE Up's assumed API contract (v1). See docs/partners/nrf.md."""

SLUG = "nrf"
NAME = "NRF RISE Up"

CREATE_LEARNER = "/api/v1/learners"
ENROLL = "/api/v1/enrollments"
PROGRESS = "/api/v1/enrollments/{id}/progress"
CERTIFICATE = "/api/v1/enrollments/{id}/certificate"
VERIFY_CREDENTIAL = "/api/v1/credentials/{id}/verify"
SSO_TOKEN = "/api/v1/sso/token"

# Enrollment states (RISE Up answers enums in upper case).
STATE_ENROLLED = "ENROLLED"
STATE_IN_PROGRESS = "IN_PROGRESS"
STATE_COMPLETED = "COMPLETED"

# The credential exam inside an enrollment.
EXAM_NOT_TAKEN = "NOT_TAKEN"
EXAM_PASSED = "PASSED"
EXAM_FAILED = "FAILED"

# The certificate answer's status: a credential is earned at the exam, but its certificate
# link arrives one to two days later (PARTNERS.md), so PENDING is a normal state.
CERTIFICATE_NOT_EARNED = "NOT_EARNED"
CERTIFICATE_PENDING = "PENDING"
CERTIFICATE_ISSUED = "ISSUED"

# Credential verification.
CREDENTIAL_VALID = "VALID"
CREDENTIAL_EXPIRED = "EXPIRED"
CREDENTIAL_REVOKED = "REVOKED"
