"""CareerSafe's assumed API, as the simulator serves it (docs/partners/careersafe.md)."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from partners.careersafe import constants as c
from partners.simulator import state
from partners.simulator.contracts.base import Contract, Route, day, header_is, iso
from partners.simulator.models import SimEnrollment


def gradebook_status(row: SimEnrollment) -> str:
    if row.status == SimEnrollment.Status.COMPLETED:
        # A course finished with a recorded pass shows as Passed, else as Completed.
        return c.PASSED if row.passed else c.COMPLETED
    if timezone.now() > row.created_at + timedelta(days=c.DAYS_TO_FINISH):
        return c.LAPSED
    return c.IN_PROGRESS if row.status == SimEnrollment.Status.IN_PROGRESS else c.NOT_STARTED


class CareerSafeContract(Contract):
    slug = c.SLUG
    routes = [
        Route("POST", "api/members", "create_member"),
        Route("POST", "api/enrollments", "enroll"),
        Route("POST", "api/enrollments/group", "enroll_group"),
        Route("GET", r"api/enrollments/(?P<id>[\w-]+)/progress", "progress"),
        Route("GET", r"api/enrollments/(?P<id>[\w-]+)/certificate", "certificate"),
        Route("POST", "api/sso/launch", "sso_launch"),
    ]

    def authenticate(self, request, config):
        return (
            header_is(request, "X-API-Key", config.api_key)
            and header_is(request, "X-API-Secret", config.api_secret)
            and header_is(request, "X-Organization-Code", config.organization_id)
        )

    def error_body(self, code, message):
        return {"status": "error", "error_code": code, "error_message": message}

    def create_member(self, request, body):
        account, created = state.create_account(
            self.slug,
            email=body.get("email", ""),
            first_name=body.get("first_name", ""),
            last_name=body.get("last_name", ""),
            reference=body.get("student_id", ""),
            request=body,
        )
        answer = {
            "member_id": account.external_id,
            "username": account.email,
            "login_url": self.site("login"),
        }
        if created:
            # Only a brand-new member gets one; an existing member keeps their password.
            answer[c.TEMPORARY_PASSWORD] = secrets.token_urlsafe(9)
        return (201 if created else 200), answer

    def _enroll_one(self, *, member_id, course_code, reference="", group_code=""):
        row = state.enroll(
            self.slug,
            account_id=member_id,
            course_code=course_code,
            reference=reference,
            options={"group_code": group_code} if group_code else {},
        )
        url, _ = self.launch_url(row, row.account.external_id)
        return {
            "enrollment_id": row.external_id,
            "member_id": row.account.external_id,
            "course_code": row.course_code,
            "gradebook_status": gradebook_status(row),
            "finish_by": day(row.created_at + timedelta(days=c.DAYS_TO_FINISH)),
            "launch_url": url,
        }

    def enroll(self, request, body):
        return 201, self._enroll_one(
            member_id=body.get("member_id", ""),
            course_code=body.get("course_code", ""),
            reference=body.get("reference", ""),
            group_code=body.get("group_code", ""),
        )

    def enroll_group(self, request, body):
        group_code, members = body.get("group_code", ""), body.get("member_ids")
        if not group_code:
            raise state.SimError(422, "group_code_required", "group_code is required")
        if not isinstance(members, list) or not members:
            raise state.SimError(422, "member_ids_required", "member_ids must be a list")
        results = []
        for member_id in members:
            try:
                # One member's refusal must not undo the others: a savepoint each.
                with transaction.atomic():
                    item = self._enroll_one(
                        member_id=str(member_id),
                        course_code=body.get("course_code", ""),
                        group_code=group_code,
                    )
                results.append({**item, "status": "enrolled"})
            except state.SimError as exc:
                results.append(
                    {
                        "member_id": member_id,
                        "status": "failed",
                        "error_code": exc.code,
                        "error_message": exc.message,
                    }
                )
        return 200, {
            "group_code": group_code,
            "course_code": body.get("course_code", ""),
            "results": results,
        }

    def progress(self, request, body, id):
        row = state.enrollment(self.slug, id)
        return 200, {
            "enrollment_id": row.external_id,
            "member_id": row.account.external_id,
            "course_code": row.course_code,
            "gradebook_status": gradebook_status(row),
            "percent_complete": row.progress,
            "final_exam_score": float(row.score) if row.score is not None else None,
            "completed_on": day(row.completed_at),
            "finish_by": day(row.created_at + timedelta(days=c.DAYS_TO_FINISH)),
        }

    def certificate(self, request, body, id):
        row = state.enrollment(self.slug, id)
        if not row.certificate_number:
            raise state.SimError(404, "card_not_issued", "no completion card issued yet")
        return 200, {
            "card_number": row.certificate_number,
            "card_type": row.course_code,
            "issued_on": day(row.certificate_issued_at),
            "expires_on": day(row.certificate_expires_at),
            "certificate_url": self.site(f"certificates/{row.certificate_number}.pdf"),
            "verification_url": self.site(f"verify/{row.certificate_number}"),
        }

    def sso_launch(self, request, body):
        account = state.account(self.slug, body.get("member_id", ""))
        row = (
            state.enrollment(self.slug, body["enrollment_id"])
            if body.get("enrollment_id")
            else None
        )
        url, seconds = self.launch_url(row, account.external_id)
        return 200, {
            "launch_url": url,
            "expires_at": iso(timezone.now() + timedelta(seconds=seconds)),
        }
