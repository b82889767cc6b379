from enrollments.models.certificates import Certificate, CertificateSource, Voucher, VoucherStatus
from enrollments.models.enrollment import (
    OPEN_STATUSES,
    Enrollment,
    EnrollmentQuerySet,
    EnrollmentStatus,
    FundingSource,
)
from enrollments.models.records import (
    ApiIdempotencyKey,
    EmailKind,
    EnrollmentEvent,
    StudentEmail,
)
from enrollments.models.students import Cohort, PartnerAccount, Student

__all__ = [
    "OPEN_STATUSES",
    "ApiIdempotencyKey",
    "Certificate",
    "CertificateSource",
    "Cohort",
    "EmailKind",
    "Enrollment",
    "EnrollmentEvent",
    "EnrollmentQuerySet",
    "EnrollmentStatus",
    "FundingSource",
    "PartnerAccount",
    "Student",
    "StudentEmail",
    "Voucher",
    "VoucherStatus",
]
