"""HSI's assumed v1 API, as the simulator serves it (docs/partners/hsi.md)."""

from datetime import timedelta

from django.utils import timezone

from partners.hsi import constants as c
from partners.simulator import state
from partners.simulator.contracts.base import Contract, Route, header_is, iso


class HsiContract(Contract):
    slug = c.SLUG
    routes = [
        Route("POST", "api/v1/students", "create_student"),
        Route("POST", "api/v1/enrollments", "enroll"),
        Route("GET", r"api/v1/enrollments/(?P<id>[\w-]+)/progress", "progress"),
        Route("GET", r"api/v1/enrollments/(?P<id>[\w-]+)/certificate", "certificate"),
        Route("POST", "api/v1/sso/launch", "sso_launch"),
    ]

    def authenticate(self, request, config):
        return (
            header_is(request, "X-API-Key", config.api_key)
            and header_is(request, "X-API-Secret", config.api_secret)
            and header_is(request, "X-Organization-Id", config.organization_id)
        )

    def error_body(self, code, message):
        return {"error": {"code": code, "message": message}}

    def create_student(self, request, body):
        account, created = state.create_account(
            self.slug,
            email=body.get("email", ""),
            first_name=body.get("firstName", ""),
            last_name=body.get("lastName", ""),
            reference=body.get("externalId", ""),
            request=body,
        )
        return (201 if created else 200), {
            "studentId": account.external_id,
            "username": account.email,
            "loginUrl": self.site("login"),
        }

    def enroll(self, request, body):
        kind = body.get("enrollmentType")
        if kind not in (c.ENROLLMENT_TYPE_RSV, c.ENROLLMENT_TYPE_BLENDED):
            raise state.SimError(
                422, "invalid_enrollment_type", "enrollmentType must be rsv or blended"
            )
        row = state.enroll(
            self.slug,
            account_id=body.get("studentId", ""),
            course_code=body.get("courseCode", ""),
            reference=body.get("externalReference", ""),
            options={"enrollmentType": kind},
        )
        url, _ = self.launch_url(row, row.account.external_id)
        return 201, {"enrollmentId": row.external_id, "status": "enrolled", "launchUrl": url}

    def progress(self, request, body, id):
        row = state.enrollment(self.slug, id)
        return 200, {
            "enrollmentId": row.external_id,
            "percentComplete": row.progress,
            "status": row.status,
            "completedDate": iso(row.completed_at),
        }

    def certificate(self, request, body, id):
        row = state.enrollment(self.slug, id)
        if not row.certificate_number:
            raise state.SimError(404, "certificate_not_issued", "no card issued yet")
        return 200, {
            "cardNumber": row.certificate_number,
            "issueDate": iso(row.certificate_issued_at),
            "expirationDate": iso(row.certificate_expires_at),
            "certificateUrl": self.site(f"certificates/{row.certificate_number}.pdf"),
            "validationUrl": self.site(f"verify/{row.certificate_number}"),
        }

    def sso_launch(self, request, body):
        account = state.account(self.slug, body.get("studentId", ""))
        row = (
            state.enrollment(self.slug, body["enrollmentId"]) if body.get("enrollmentId") else None
        )
        url, seconds = self.launch_url(row, account.external_id)
        return 200, {
            "launchUrl": url,
            "expiresAt": iso(timezone.now() + timedelta(seconds=seconds)),
        }
