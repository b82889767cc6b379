"""Milady's assumed v1 API, as the simulator serves it (docs/partners/milady.md)."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from partners.milady import constants as c
from partners.simulator import state
from partners.simulator.contracts.base import Contract, Route, header_is
from partners.simulator.models import SimEnrollment

# The simulated school's promo codes: anything else is unknown to Milady.
PROMO_PREFIX = "MILADY"
LESSONS = 40


def naive_utc(value: datetime | None) -> str | None:
    """Milady's timestamps: UTC without an offset (as documented in the partner doc)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() if value else None


class MiladyContract(Contract):
    slug = c.SLUG
    routes = [
        Route("POST", "api/v1/students", "create_student"),
        Route("POST", "api/v1/enrollments", "enroll"),
        Route("GET", r"api/v1/enrollments/(?P<id>[\w-]+)/progress", "progress"),
        Route("GET", r"api/v1/enrollments/(?P<id>[\w-]+)/certificate", "certificate"),
        Route("POST", "api/v1/sso/launch", "sso_launch"),
    ]

    def authenticate(self, request, config):
        return header_is(request, "Authorization", f"Bearer {config.api_key}") and header_is(
            request, "X-School-Id", config.organization_id
        )

    def error_body(self, code, message):
        return {"Message": message, "ErrorCode": code}

    def create_student(self, request, body):
        account, created = state.create_account(
            self.slug,
            email=body.get("Email", ""),
            first_name=body.get("FirstName", ""),
            last_name=body.get("LastName", ""),
            reference=body.get("StudentNumber", ""),
            request=body,
        )
        return (201 if created else 200), {
            "StudentId": account.external_id,
            "UserName": account.email,
            "LoginUrl": self.site("login"),
        }

    def enroll(self, request, body):
        promo = str(body.get("PromoCode") or "")
        if promo and not promo.upper().startswith(PROMO_PREFIX):
            raise state.SimError(
                422, "InvalidPromoCode", f"promo code {promo} is not valid for this school"
            )
        row = state.enroll(
            self.slug,
            account_id=body.get("StudentId", ""),
            course_code=body.get("CourseCode", ""),
            reference=body.get("ExternalReference", ""),
            options={"PromoCode": promo} if promo else {},
        )
        url, _ = self.launch_url(row, row.account.external_id)
        return 201, {
            "EnrollmentId": row.external_id,
            "StudentId": row.account.external_id,
            "CourseCode": row.course_code,
            "Status": c.STATUS_ACTIVE,
            "PromoCode": promo or None,
            "DiscountApplied": bool(promo),
            "LaunchUrl": url,
        }

    def progress(self, request, body, id):
        row = state.enrollment(self.slug, id)
        status = {
            SimEnrollment.Status.ENROLLED: c.STATUS_NOT_STARTED,
            SimEnrollment.Status.IN_PROGRESS: c.STATUS_IN_PROGRESS,
            SimEnrollment.Status.COMPLETED: c.STATUS_COMPLETED,
        }[row.status]
        return 200, {
            "EnrollmentId": row.external_id,
            "Status": status,
            "PercentComplete": row.progress,
            "LessonsCompleted": row.progress * LESSONS // 100,
            "LessonsTotal": LESSONS,
            "FinalExamScore": float(row.score) if row.score is not None else None,
            "CompletionDate": naive_utc(row.completed_at),
        }

    def certificate(self, request, body, id):
        row = state.enrollment(self.slug, id)
        if not row.certificate_number:
            # Milady's shape for "not yet": a 200, not a 404.
            return 200, {
                "EnrollmentId": row.external_id,
                "CertificateStatus": c.CERTIFICATE_NOT_ISSUED,
            }
        return 200, {
            "EnrollmentId": row.external_id,
            "CertificateStatus": c.CERTIFICATE_ISSUED,
            "CertificateId": row.certificate_number,
            "IssuedDate": naive_utc(row.certificate_issued_at),
            "ExpirationDate": naive_utc(row.certificate_expires_at),
            "CertificateUrl": self.site(f"certificates/{row.certificate_number}.pdf"),
            "VerificationUrl": self.site(f"verify/{row.certificate_number}"),
        }

    def sso_launch(self, request, body):
        account = state.account(self.slug, body.get("StudentId", ""))
        row = (
            state.enrollment(self.slug, body["EnrollmentId"]) if body.get("EnrollmentId") else None
        )
        url, seconds = self.launch_url(row, account.external_id)
        return 200, {
            "Url": url,
            "ExpiresAt": naive_utc(timezone.now() + timedelta(seconds=seconds)),
        }
