"""What the simulated partners do, independent of each partner's field names."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from partners.redaction import redact_data
from partners.simulator.models import SimAccount, SimEnrollment, SimVoucher

# Certificate validity the simulated partners put on their certificates, by partner; a
# contract can refine it per course (Contract.certificate_validity_months).
VALIDITY_MONTHS = {"hsi": 24, "nrf": 36}


class SimError(Exception):
    """A partner-side refusal: answered with `status` and a partner-shaped error body."""

    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


def _new_id(partner: str, kind: str) -> str:
    return f"{partner.upper()}-{kind}-{secrets.token_hex(5).upper()}"


def create_account(
    partner: str, *, email: str, first_name: str, last_name: str, reference: str, request: dict
) -> tuple[SimAccount, bool]:
    """A partner matches learners by e-mail: the same e-mail gives the same account. The
    request is kept redacted (partners/redaction.py): no secret or personal identifier
    such as a date of birth is stored, even by the simulator."""
    if not email or "@" not in email:
        raise SimError(422, "invalid_email", "a valid e-mail address is required")
    account = SimAccount.objects.filter(partner=partner, email__iexact=email).first()
    if account:
        return account, False
    account = SimAccount.objects.create(
        partner=partner,
        external_id=_new_id(partner, "U"),
        email=email,
        first_name=first_name,
        last_name=last_name,
        reference=reference,
        request=redact_data(request),
    )
    return account, True


def account(partner: str, external_id: str) -> SimAccount:
    found = SimAccount.objects.filter(partner=partner, external_id=str(external_id)).first()
    if not found:
        raise SimError(404, "account_not_found", f"no account {external_id}")
    return found


def enroll(
    partner: str,
    *,
    account_id: str,
    course_code: str,
    reference: str = "",
    options: dict | None = None,
) -> SimEnrollment:
    if not course_code:
        raise SimError(422, "invalid_course", "a course code is required")
    learner = account(partner, account_id)
    return SimEnrollment.objects.create(
        partner=partner,
        external_id=_new_id(partner, "E"),
        account=learner,
        course_code=course_code,
        reference=reference,
        options=options or {},
    )


def enrollment(partner: str, external_id: str) -> SimEnrollment:
    found = (
        SimEnrollment.objects.select_related("account")
        .filter(partner=partner, external_id=str(external_id))
        .first()
    )
    if not found:
        raise SimError(404, "enrollment_not_found", f"no enrollment {external_id}")
    return found


def issue_voucher(partner: str, *, account_id: str, course_code: str) -> SimVoucher:
    learner = account(partner, account_id)
    return SimVoucher.objects.create(
        partner=partner,
        code=f"{partner.upper()}-V-{secrets.token_hex(6).upper()}",
        course_code=course_code,
        account=learner,
        expires_at=timezone.now() + timedelta(days=365),
    )


def redeem_voucher(partner: str, *, code: str, course_code: str) -> SimVoucher:
    voucher = SimVoucher.objects.select_for_update().filter(partner=partner, code=code).first()
    if not voucher:
        raise SimError(422, "invalid_voucher", f"voucher {code} does not exist")
    if voucher.used:
        raise SimError(409, "voucher_used", f"voucher {code} was already redeemed")
    if voucher.course_code != course_code:
        raise SimError(
            422, "voucher_course_mismatch", f"voucher {code} is for {voucher.course_code}"
        )
    voucher.used = True
    voucher.save(update_fields=["used"])
    return voucher


@transaction.atomic
def advance(
    enrollment_obj: SimEnrollment,
    *,
    to: int | None = None,
    by: int | None = None,
    score: Decimal | None = None,
    passed: bool | None = None,
) -> list[str]:
    """Move a learner forward (never back). Returns the event types that happened:
    progress.updated, then course.completed and certificate.issued on reaching 100."""
    row = SimEnrollment.objects.select_for_update().get(pk=enrollment_obj.pk)
    if row.status == SimEnrollment.Status.COMPLETED:
        return []
    target = row.progress + (by or 0) if to is None else to
    target = max(row.progress, min(100, target))
    events = []
    if target != row.progress or row.status == SimEnrollment.Status.ENROLLED:
        row.progress = target
        row.status = SimEnrollment.Status.IN_PROGRESS
        events.append("progress.updated")
    if score is not None:
        row.score = score
    if passed is not None:
        row.passed = passed
    if row.progress == 100 and row.passed is not False:
        now = timezone.now()
        row.status = SimEnrollment.Status.COMPLETED
        row.completed_at = now
        row.certificate_number = f"{row.partner.upper()}-C-{secrets.token_hex(4).upper()}"
        row.certificate_issued_at = now
        from partners.simulator.contracts import contract_for

        contract = contract_for(row.partner)
        months = (
            contract.certificate_validity_months(row.course_code)
            if contract
            else VALIDITY_MONTHS.get(row.partner)
        )
        row.certificate_expires_at = now + relativedelta(months=months) if months else None
        events += ["course.completed", "certificate.issued"]
    row.save()
    enrollment_obj.refresh_from_db()
    return events
