"""Acme Safety Academy's API as the simulator serves it (made up, like the partner)."""

from partners.simulator import state
from partners.simulator.contracts.base import Contract, Route, header_is, iso
from partners.simulator.models import SimEnrollment
from tests.partners.acme import constants as c

_STATUS = {
    SimEnrollment.Status.ENROLLED: c.STATUS_ENROLLED,
    SimEnrollment.Status.IN_PROGRESS: c.STATUS_ACTIVE,
    SimEnrollment.Status.COMPLETED: c.STATUS_DONE,
}


class AcmeContract(Contract):
    slug = c.SLUG
    routes = [
        Route("POST", "v1/learners", "create_learner"),
        Route("POST", "v1/enrollments", "enroll"),
        Route("GET", r"v1/enrollments/(?P<id>[\w-]+)/progress", "progress"),
        Route("GET", r"v1/enrollments/(?P<id>[\w-]+)/certificate", "certificate"),
        Route("POST", "v1/launch", "launch"),
    ]

    def authenticate(self, request, config):
        return header_is(request, "Authorization", f"Token {config.api_key}") and header_is(
            request, "X-Org-Id", config.organization_id
        )

    def create_learner(self, request, body):
        account, created = state.create_account(
            self.slug,
            email=body.get("email", ""),
            first_name=body.get("first_name", ""),
            last_name=body.get("last_name", ""),
            reference=body.get("our_ref", ""),
            request=body,
        )
        return (201 if created else 200), {
            "learner_id": account.external_id,
            "login_url": self.site("login"),
        }

    def enroll(self, request, body):
        row = state.enroll(
            self.slug,
            account_id=body.get("learner_id", ""),
            course_code=body.get("course", ""),
            reference=body.get("our_ref", ""),
        )
        url, _ = self.launch_url(row, row.account.external_id)
        return 201, {
            "enrollment_id": row.external_id,
            "status": c.STATUS_ENROLLED,
            "launch_url": url,
        }

    def progress(self, request, body, id):
        row = state.enrollment(self.slug, id)
        return 200, {
            "status": _STATUS[row.status],
            "percent": row.progress,
            "score": float(row.score) if row.score is not None else None,
            "passed": row.passed,
            "finished_at": iso(row.completed_at),
        }

    def certificate(self, request, body, id):
        row = state.enrollment(self.slug, id)
        if not row.certificate_number:
            raise state.SimError(404, "not_issued", "no certificate yet")
        return 200, {
            "number": row.certificate_number,
            "issued_at": iso(row.certificate_issued_at),
            "expires_at": iso(row.certificate_expires_at),
            "pdf": self.site(f"certificates/{row.certificate_number}.pdf"),
        }

    def launch(self, request, body):
        account = state.account(self.slug, body.get("learner_id", ""))
        row = (
            state.enrollment(self.slug, body["enrollment_id"])
            if body.get("enrollment_id")
            else None
        )
        url, seconds = self.launch_url(row, account.external_id)
        return 200, {"url": url, "ttl": seconds}
