"""NRF RISE Up's assumed v1 API, as the simulator serves it (docs/partners/nrf.md)."""

from urllib.parse import parse_qs, urlsplit

from django.utils import timezone

from partners.nrf import constants as c
from partners.simulator import state
from partners.simulator.contracts.base import Contract, Route, header_is, iso
from partners.simulator.models import SimEnrollment

_STATE = {
    SimEnrollment.Status.ENROLLED: c.STATE_ENROLLED,
    SimEnrollment.Status.IN_PROGRESS: c.STATE_IN_PROGRESS,
    SimEnrollment.Status.COMPLETED: c.STATE_COMPLETED,
}


def enveloped(data: dict) -> dict:
    return {"data": data}


class NrfContract(Contract):
    slug = c.SLUG
    routes = [
        Route("POST", "api/v1/learners", "create_learner"),
        Route("POST", "api/v1/enrollments", "enroll"),
        Route("GET", r"api/v1/enrollments/(?P<id>[\w-]+)/progress", "progress"),
        Route("GET", r"api/v1/enrollments/(?P<id>[\w-]+)/certificate", "certificate"),
        Route("GET", r"api/v1/credentials/(?P<id>[\w-]+)/verify", "verify"),
        Route("POST", "api/v1/sso/token", "sso_token"),
    ]

    def authenticate(self, request, config):
        return (
            bool(config.api_key)
            and header_is(request, "Authorization", f"Bearer {config.api_key}")
            and header_is(request, "X-Partner-Id", config.organization_id)
        )

    def error_body(self, code, message):
        return {"errors": [{"code": code, "detail": message}]}

    def create_learner(self, request, body):
        account, created = state.create_account(
            self.slug,
            email=body.get("email", ""),
            first_name=body.get("firstName", ""),
            last_name=body.get("lastName", ""),
            reference=body.get("externalLearnerId", ""),
            request=body,
        )
        return (201 if created else 200), enveloped(
            {
                "learnerId": account.external_id,
                "email": account.email,
                "portalUrl": self.site("portal"),
            }
        )

    def enroll(self, request, body):
        voucher = body.get("voucherCode")
        if voucher is not None and not str(voucher).strip():
            raise state.SimError(422, "invalid_voucher", "voucherCode is empty")
        if (
            voucher
            and SimEnrollment.objects.filter(
                partner=self.slug, options__voucherCode=voucher
            ).exists()
        ):
            raise state.SimError(409, "voucher_redeemed", f"voucher {voucher} was already used")
        row = state.enroll(
            self.slug,
            account_id=body.get("learnerId", ""),
            course_code=body.get("credentialCode", ""),
            reference=body.get("externalReference", ""),
            options={"voucherCode": voucher} if voucher else {},
        )
        url, _ = self.launch_url(row, row.account.external_id)
        return 201, enveloped(
            {
                "enrollmentId": row.external_id,
                "learnerId": row.account.external_id,
                "credentialCode": row.course_code,
                "state": c.STATE_ENROLLED,
                "voucherCode": voucher,
                "launchUrl": url,
            }
        )

    def progress(self, request, body, id):
        row = state.enrollment(self.slug, id)
        exam = {True: c.EXAM_PASSED, False: c.EXAM_FAILED}.get(row.passed, c.EXAM_NOT_TAKEN)
        return 200, enveloped(
            {
                "enrollmentId": row.external_id,
                "state": _STATE[row.status],
                "percentComplete": row.progress,
                "exam": {
                    "status": exam,
                    "score": float(row.score) if row.score is not None else None,
                },
                "completedAt": iso(row.completed_at),
            }
        )

    def certificate(self, request, body, id):
        row = state.enrollment(self.slug, id)
        if not row.certificate_number:
            # RISE Up's own "not yet" shape: 200, not 404.
            return 200, enveloped({"status": c.CERTIFICATE_NOT_EARNED, "credentialId": None})
        return 200, enveloped(
            {
                "status": c.CERTIFICATE_ISSUED,
                "credentialId": row.certificate_number,
                "credentialCode": row.course_code,
                "issuedAt": iso(row.certificate_issued_at),
                "expiresAt": iso(row.certificate_expires_at),
                "certificateUrl": self.site(f"certificates/{row.certificate_number}.pdf"),
                "verificationUrl": self.site(f"verify/{row.certificate_number}"),
            }
        )

    def verify(self, request, body, id):
        row = (
            SimEnrollment.objects.select_related("account")
            .filter(partner=self.slug, certificate_number=id)
            .first()
        )
        if row is None:
            raise state.SimError(404, "credential_not_found", f"no credential {id}")
        # The simulator has no revocation of its own: staff mark a row `revoked` in its
        # options (admin) to see what a revoked credential looks like.
        if row.options.get("revoked"):
            status = c.CREDENTIAL_REVOKED
        elif row.certificate_expires_at and row.certificate_expires_at < timezone.now():
            status = c.CREDENTIAL_EXPIRED
        else:
            status = c.CREDENTIAL_VALID
        return 200, enveloped(
            {
                "credentialId": row.certificate_number,
                "status": status,
                "holderName": f"{row.account.first_name} {row.account.last_name}".strip(),
                "credentialCode": row.course_code,
                "issuedAt": iso(row.certificate_issued_at),
                "expiresAt": iso(row.certificate_expires_at),
            }
        )

    def sso_token(self, request, body):
        account = state.account(self.slug, body.get("learnerId", ""))
        row = (
            state.enrollment(self.slug, body["enrollmentId"]) if body.get("enrollmentId") else None
        )
        url, seconds = self.launch_url(row, account.external_id)
        token = parse_qs(urlsplit(url).query)["token"][0]
        return 200, enveloped({"token": token, "launchUrl": url, "expiresIn": seconds})
