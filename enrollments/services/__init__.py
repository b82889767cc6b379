"""Business logic for enrollments. Views, admin actions and tasks call these; these are
the only callers of partner adapters."""

from enrollments.services.cohorts import (
    CohortAddResult,
    EnrolmentPreview,
    StudentResult,
    cohort_add,
    cohort_add_students,
    cohort_enroll,
    cohort_provision_group,
    enrolment_preview,
    students_enroll,
)
from enrollments.services.enrollment import (
    enrollment_cancel,
    enrollment_create,
    enrollment_retry,
    student_create,
    student_update,
)
from enrollments.services.errors import (
    EnrollmentConflict,
    EnrollmentError,
    EnrollmentNotFound,
    EnrollmentStateError,
    NoVoucherAvailable,
)
from enrollments.services.events import ApplyResult, enrollment_apply_event
from enrollments.services.provisioning import enrollment_provision
from enrollments.services.sync import (
    enrollment_fetch_certificate,
    enrollment_launch_url,
    enrollment_sync_progress,
)

__all__ = [
    "ApplyResult",
    "CohortAddResult",
    "EnrollmentConflict",
    "EnrollmentError",
    "EnrollmentNotFound",
    "EnrollmentStateError",
    "EnrolmentPreview",
    "NoVoucherAvailable",
    "StudentResult",
    "cohort_add",
    "cohort_add_students",
    "cohort_enroll",
    "cohort_provision_group",
    "enrollment_apply_event",
    "enrollment_cancel",
    "enrollment_create",
    "enrollment_fetch_certificate",
    "enrollment_launch_url",
    "enrollment_provision",
    "enrollment_retry",
    "enrollment_sync_progress",
    "enrolment_preview",
    "student_create",
    "student_update",
    "students_enroll",
]
