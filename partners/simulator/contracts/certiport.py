"""Certiport's assumed v2 API, as the simulator serves it (docs/partners/certiport.md).

The simulated candidate works through a set of practice tests, then sits the exam: the
shared simulator progress is read as the share of practice tests finished, and reaching
100 with a pass is the exam passed.
"""

from urllib.parse import parse_qs, urlsplit

from partners.certiport import constants as c
from partners.simulator import state
from partners.simulator.contracts.base import Contract, Route, header_is, iso
from partners.simulator.models import SimEnrollment, SimVoucher

# 20 practice tests, so each 5 % of simulated progress is one more test finished and the
# polled ratio matches the spec-v1 webhooks' progress_percent at the player's 25 % steps.
PRACTICE_TESTS = 20


class CertiportContract(Contract):
    slug = c.SLUG
    routes = [
        Route("POST", "api/v2/users", "create_user"),
        Route("POST", "api/v2/vouchers", "generate_voucher"),
        Route("POST", "api/v2/enrollments", "enroll"),
        Route("GET", r"api/v2/enrollments/(?P<id>[\w-]+)/status", "status"),
        Route("GET", r"api/v2/enrollments/(?P<id>[\w-]+)/certificate", "certificate"),
        Route("POST", "api/v2/sso/token", "sso_token"),
    ]

    def authenticate(self, request, config):
        return header_is(request, "Authorization", f"Bearer {config.api_key}") and header_is(
            request, "X-Organization-Id", config.organization_id
        )

    def error_body(self, code, message):
        return {"errors": [{"code": code, "detail": message}]}

    def create_user(self, request, body):
        account, created = state.create_account(
            self.slug,
            email=body.get("email", ""),
            first_name=body.get("givenName", ""),
            last_name=body.get("familyName", ""),
            reference=body.get("candidateReference", ""),
            request=body,
        )
        return (201 if created else 200), {
            "userId": account.external_id,
            "username": account.email,
            "portalUrl": self.site("portal"),
        }

    def generate_voucher(self, request, body):
        if not body.get("examCode"):
            raise state.SimError(422, "exam_code_required", "examCode is required")
        voucher = state.issue_voucher(
            self.slug, account_id=body.get("userId", ""), course_code=body["examCode"]
        )
        return 201, {
            "voucherCode": voucher.code,
            "examCode": voucher.course_code,
            "userId": voucher.account.external_id,
            "expiresOn": iso(voucher.expires_at),
        }

    def enroll(self, request, body):
        code = body.get("voucherCode", "")
        if not code:
            raise state.SimError(422, "voucher_required", "an exam voucher is required")
        exam = body.get("examCode", "")
        state.account(self.slug, body.get("userId", ""))  # unknown candidate: 404 first
        if SimVoucher.objects.filter(partner=self.slug, code=code).exists():
            state.redeem_voucher(self.slug, code=code, course_code=exam)
        elif SimEnrollment.objects.filter(partner=self.slug, options__voucherCode=code).exists():
            raise state.SimError(409, "voucher_used", f"voucher {code} was already redeemed")
        # Otherwise it is from the exam vouchers the organisation bought (its stock in
        # Partner Hub): Certiport sold it, so it is good once.
        row = state.enroll(
            self.slug,
            account_id=body.get("userId", ""),
            course_code=exam,
            reference=body.get("externalReference", ""),
            options={"voucherCode": code, "examGroup": body.get("examGroup", "")},
        )
        return 201, {
            "enrollmentId": row.external_id,
            "examCode": row.course_code,
            "voucherCode": code,
            "status": "Registered",
        }

    def status(self, request, body, id):
        row = state.enrollment(self.slug, id)
        done = row.status == SimEnrollment.Status.COMPLETED
        if done:
            status, result = "Passed", c.RESULT_PASS
        elif row.passed is False:
            status, result = "Failed", c.RESULT_FAIL
        else:
            status, result = ("Practicing" if row.progress else "Registered"), None
        sat = done or row.passed is False
        return 200, {
            "enrollmentId": row.external_id,
            "examCode": row.course_code,
            "status": status,
            "practiceTests": {
                "completed": row.progress * PRACTICE_TESTS // 100,
                "total": PRACTICE_TESTS,
            },
            "exam": {
                "score": int(row.score) if row.score is not None else None,
                "maxScore": c.MAX_SCORE,
                "passingScore": c.PASSING_SCORE,
                "result": result,
                "takenOn": iso(row.completed_at or row.updated_at) if sat else None,
            },
        }

    def certificate(self, request, body, id):
        row = state.enrollment(self.slug, id)
        if not row.certificate_number:
            raise state.SimError(404, "certificate_not_found", "the exam is not passed yet")
        return 200, {
            "certificateNumber": row.certificate_number,
            "examCode": row.course_code,
            "issuedOn": iso(row.certificate_issued_at),
            "expiresOn": iso(row.certificate_expires_at),
            "certificateUrl": self.site(f"certificates/{row.certificate_number}.pdf"),
            "verifyUrl": self.site(f"verify/{row.certificate_number}"),
        }

    def sso_token(self, request, body):
        account = state.account(self.slug, body.get("userId", ""))
        row = (
            state.enrollment(self.slug, body["enrollmentId"]) if body.get("enrollmentId") else None
        )
        url, seconds = self.launch_url(row, account.external_id)
        token = parse_qs(urlsplit(url).query)["token"][0]
        return 200, {"ssoToken": token, "launchUrl": url, "expiresIn": seconds}
