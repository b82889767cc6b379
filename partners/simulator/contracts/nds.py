"""NDS's assumed API, as the simulator serves it (docs/partners/nds.md)."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from partners.nds import constants as c
from partners.simulator import state
from partners.simulator.contracts.base import Contract, Route, header_is
from partners.simulator.models import SimEnrollment

_STATUS = {
    SimEnrollment.Status.ENROLLED: c.STATUS_ASSIGNED,
    SimEnrollment.Status.IN_PROGRESS: c.STATUS_IN_PROGRESS,
    SimEnrollment.Status.COMPLETED: c.STATUS_COMPLETED,
}

# Certificate validity by NDS course: DOT supervisor training (49 CFR 382.603) needs no
# recurrent training, but NDS's own drug-free-workplace supervisor course is yearly.
VALIDITY_MONTHS = {"NDS-DFWP-SUP": 12}


def net_time(value: datetime | None) -> str | None:
    """NDS timestamps the .NET way: UTC without an offset."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() if value else None


class NdsContract(Contract):
    slug = c.SLUG
    routes = [
        Route("POST", "api/participants", "create_participant"),
        Route("POST", "api/enrollments", "enroll"),
        Route("GET", r"api/enrollments/(?P<id>[\w-]+)/status", "status"),
        Route("GET", r"api/enrollments/(?P<id>[\w-]+)/certificate", "certificate"),
        Route("POST", "api/sso/launch", "sso_launch"),
    ]

    def certificate_validity_months(self, course_code):
        return VALIDITY_MONTHS.get(course_code.upper())

    def authenticate(self, request, config):
        return (
            header_is(request, "X-API-Key", config.api_key)
            and header_is(request, "X-API-Secret", config.api_secret)
            and header_is(request, "X-Client-Id", config.organization_id)
        )

    def error_body(self, code, message):
        return {"Message": message, "ErrorCode": code}

    def create_participant(self, request, body):
        account, created = state.create_account(
            self.slug,
            email=body.get("Email", ""),
            first_name=body.get("FirstName", ""),
            last_name=body.get("LastName", ""),
            reference=body.get("ExternalId", ""),
            request=body,
        )
        return (201 if created else 200), {
            "ParticipantId": account.external_id,
            "Email": account.email,
            "LoginUrl": self.site("login"),
        }

    def enroll(self, request, body):
        row = state.enroll(
            self.slug,
            account_id=body.get("ParticipantId", ""),
            course_code=body.get("CourseId", ""),
            reference=body.get("ClientReference", ""),
        )
        url, _ = self.launch_url(row, row.account.external_id)
        return 201, {
            "EnrollmentId": row.external_id,
            "Status": c.STATUS_ASSIGNED,
            "CourseUrl": url,
        }

    def status(self, request, body, id):
        row = state.enrollment(self.slug, id)
        return 200, {
            "EnrollmentId": row.external_id,
            "CourseId": row.course_code,
            "Status": c.STATUS_FAILED if row.passed is False else _STATUS[row.status],
            "PercentComplete": row.progress,
            "Score": float(row.score) if row.score is not None else None,
            "Passed": row.passed,
            "CompletedOn": net_time(row.completed_at),
        }

    def certificate(self, request, body, id):
        row = state.enrollment(self.slug, id)
        if not row.certificate_number:
            raise state.SimError(404, "CertificateNotIssued", "No certificate has been issued.")
        return 200, {
            "CertificateNumber": row.certificate_number,
            "CourseId": row.course_code,
            "IssuedOn": net_time(row.certificate_issued_at),
            "ExpiresOn": net_time(row.certificate_expires_at),
            "CertificateUrl": self.site(f"certificates/{row.certificate_number}.pdf"),
        }

    def sso_launch(self, request, body):
        account = state.account(self.slug, body.get("ParticipantId", ""))
        row = (
            state.enrollment(self.slug, body["EnrollmentId"]) if body.get("EnrollmentId") else None
        )
        url, seconds = self.launch_url(row, account.external_id)
        return 200, {
            "LaunchUrl": url,
            "ExpiresUtc": net_time(timezone.now() + timedelta(seconds=seconds)),
        }
