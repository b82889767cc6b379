"""JRI's assumed API, as the simulator serves it (docs/partners/jri.md)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from partners.jri import constants as c
from partners.simulator import state
from partners.simulator.contracts.base import Contract, Route, day, header_is, iso
from partners.simulator.models import SimEnrollment

_COMPLETION = {
    SimEnrollment.Status.ENROLLED: c.COMPLETION_NOT_ATTEMPTED,
    SimEnrollment.Status.IN_PROGRESS: c.COMPLETION_INCOMPLETE,
    SimEnrollment.Status.COMPLETED: c.COMPLETION_COMPLETED,
}


def scorm_score(score: Decimal | None) -> dict | None:
    if score is None:
        return None
    # The shared state keeps one unscaled score for every partner. JRI's packages score out
    # of 100; a larger number can only be an exam scored out of 1000.
    top = Decimal(100) if score <= 100 else Decimal(1000)
    return {"raw": float(score), "min": 0, "max": float(top), "scaled": float(score / top)}


class JriContract(Contract):
    slug = c.SLUG
    routes = [
        Route("POST", "api/users", "create_user"),
        Route("POST", "api/enrollments", "enroll"),
        Route("GET", r"api/enrollments/(?P<id>[\w-]+)/progress", "progress"),
        Route("GET", r"api/enrollments/(?P<id>[\w-]+)/certificate", "certificate"),
        Route("GET", r"api/certificates/(?P<number>[\w-]+)/verify", "verify"),
        Route("POST", "api/sso/launch", "sso_launch"),
    ]

    def authenticate(self, request, config):
        # Key and organisation only: JRI has no secret, so none is asked for.
        return header_is(request, "X-API-Key", config.api_key) and header_is(
            request, "X-Organization-Id", config.organization_id
        )

    def error_body(self, code, message):
        return {"error": code, "error_description": message}

    def create_user(self, request, body):
        account, created = state.create_account(
            self.slug,
            email=body.get("email", ""),
            first_name=body.get("first_name", ""),
            last_name=body.get("last_name", ""),
            reference=body.get("external_id", ""),
            request=body,
        )
        return (201 if created else 200), {
            "user_id": account.external_id,
            "username": account.email,
            "login_url": self.site("login"),
        }

    def enroll(self, request, body):
        row = state.enroll(
            self.slug,
            account_id=body.get("user_id", ""),
            course_code=body.get("course_code", ""),
            reference=body.get("external_reference", ""),
        )
        url, _ = self.launch_url(row, row.account.external_id)
        return 201, {"enrollment_id": row.external_id, "status": "enrolled", "launch_url": url}

    def progress(self, request, body, id):
        row = state.enrollment(self.slug, id)
        success = {True: c.SUCCESS_PASSED, False: c.SUCCESS_FAILED}.get(row.passed)
        return 200, {
            "enrollment_id": row.external_id,
            "completion_status": _COMPLETION[row.status],
            "success_status": success or c.SUCCESS_UNKNOWN,
            "progress_measure": row.progress / 100,
            "score": scorm_score(row.score),
            "completed_at": iso(row.completed_at),
        }

    def certificate(self, request, body, id):
        row = state.enrollment(self.slug, id)
        if not row.certificate_number:
            raise state.SimError(404, "certificate_not_available", "no certificate issued yet")
        return 200, {
            "certificate_number": row.certificate_number,
            "course_code": row.course_code,
            "issued_on": day(row.certificate_issued_at),
            "expires_on": day(row.certificate_expires_at),
            "pdf_url": self.site(f"certificates/{row.certificate_number}.pdf"),
            "verify_url": self.site(f"verify/{row.certificate_number}"),
        }

    def verify(self, request, body, number):
        row = (
            SimEnrollment.objects.select_related("account")
            .filter(partner=self.slug, certificate_number=number)
            .first()
        )
        if row is None:
            raise state.SimError(404, "certificate_not_found", f"no certificate {number}")
        expired = bool(row.certificate_expires_at and row.certificate_expires_at < timezone.now())
        return 200, {
            "certificate_number": row.certificate_number,
            "valid": not expired,
            "status": "expired" if expired else "valid",
            "holder": f"{row.account.first_name} {row.account.last_name[:1]}.".strip(),
            "course_code": row.course_code,
            "issued_on": day(row.certificate_issued_at),
        }

    def sso_launch(self, request, body):
        account = state.account(self.slug, body.get("user_id", ""))
        row = (
            state.enrollment(self.slug, body["enrollment_id"])
            if body.get("enrollment_id")
            else None
        )
        url, seconds = self.launch_url(row, account.external_id)
        return 200, {
            "launch_url": url,
            "valid_until": iso(timezone.now() + timedelta(seconds=seconds)),
        }
