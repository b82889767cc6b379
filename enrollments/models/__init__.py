from enrollments.models.certificates import (
    Certificate,
    CertificateSource,
    VerificationStatus,
    Voucher,
    VoucherStatus,
)
from enrollments.models.enrollment import (
    OPEN_STATUSES,
    Enrollment,
    EnrollmentQuerySet,
    EnrollmentStatus,
    FundingSource,
)
from enrollments.models.files import (
    FileFormat,
    ImportStatus,
    ResultImport,
    ResultImportRow,
    RosterExport,
    RowOutcome,
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
    "FileFormat",
    "FundingSource",
    "ImportStatus",
    "PartnerAccount",
    "ResultImport",
    "ResultImportRow",
    "RosterExport",
    "RowOutcome",
    "Student",
    "StudentEmail",
    "VerificationStatus",
    "Voucher",
    "VoucherStatus",
]
