"""HSI's assumed API contract (v1). See docs/partners/hsi.md."""

SLUG = "hsi"
NAME = "HSI"

CREATE_STUDENT = "/api/v1/students"
ENROLL = "/api/v1/enrollments"
PROGRESS = "/api/v1/enrollments/{id}/progress"
CERTIFICATE = "/api/v1/enrollments/{id}/certificate"
SSO_LAUNCH = "/api/v1/sso/launch"

# Remote Skills Verification courses are enrolled as `rsv`; everything else is blended
# (online part + an in-person skills check).
ENROLLMENT_TYPE_RSV = "rsv"
ENROLLMENT_TYPE_BLENDED = "blended"
