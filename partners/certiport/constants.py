"""Certiport's assumed API contract (v2). See docs/partners/certiport.md."""

SLUG = "certiport"
NAME = "Certiport"

CREATE_USER = "/api/v2/users"
VOUCHERS = "/api/v2/vouchers"
ENROLL = "/api/v2/enrollments"
STATUS = "/api/v2/enrollments/{id}/status"
CERTIFICATE = "/api/v2/enrollments/{id}/certificate"
SSO_TOKEN = "/api/v2/sso/token"

# Exams are scored out of 1000 and passed at 700 (Certiport's published passing score for
# MOS and IT Specialist exams).
MAX_SCORE = 1000
PASSING_SCORE = 700

# Exam results as Certiport reports them.
RESULT_PASS = "Pass"
RESULT_FAIL = "Fail"

# Enrolment statuses that mean the exam registration is live at Certiport.
ACTIVE_STATUSES = frozenset({"Registered", "Practicing"})

# Appended to our enrolment key for the voucher generated inside `enroll`, so a retried
# enrolment replays the same voucher instead of buying a second one.
VOUCHER_KEY_SUFFIX = ":voucher"
