"""What a change of an enrollment's status sets off, whichever path changed it.

Provisioning, the cohort group call and partner events (webhooks, polls, imports, staff
entries) all move enrollments between statuses; each calls `enrollment_status_changed`
inside the transaction that saved the new status, so every path to a state has the same
effects, and each effect happens once:

- reaching the partner (requested or failed → submitted or active): the "you're enrolled"
  e-mail, with the partner's temporary password when there is one (the password is only
  ever held in memory until that e-mail goes; it is never stored);
- completion: the voucher is redeemed (in the same transaction) and the "well done"
  e-mail goes.

E-mails go after commit and are recorded per (enrollment, kind), so a second path to the
same state sends nothing more. They are `robust` on-commit callbacks: one that raises is
logged and never reaches the caller, whose transaction has committed (a result import
would otherwise take its applied batch for failed, a webhook its applied event).
"""

from __future__ import annotations

from django.db import transaction

from enrollments.models import Enrollment, EnrollmentStatus, PartnerAccount

NOT_AT_PARTNER = (EnrollmentStatus.REQUESTED, EnrollmentStatus.FAILED)
AT_PARTNER = (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)


def enrollment_status_changed(
    enrollment: Enrollment,
    *,
    before: str,
    temporary_password: str | None = None,
    account: PartnerAccount | None = None,
    voucher_code: str | None = None,
) -> None:
    """Call inside the transaction that saved `enrollment.status` (changed from `before`).
    `account` and `voucher_code`: what the caller already read for this enrollment (the
    partner account, the voucher code sent to the partner), for the e-mail to use rather
    than read them again; None means not known."""
    from enrollments.services import notifications
    from enrollments.services.vouchers import voucher_redeem

    after = enrollment.status
    pk = enrollment.pk
    if before in NOT_AT_PARTNER and after in AT_PARTNER:
        transaction.on_commit(
            lambda: notifications.send_enrollment_active(
                pk,
                temporary_password=temporary_password,
                loaded=enrollment,
                account=account,
                voucher_code=voucher_code,
            ),
            robust=True,
        )
    if after == EnrollmentStatus.COMPLETED and before != EnrollmentStatus.COMPLETED:
        voucher_redeem(enrollment=enrollment)
        transaction.on_commit(lambda: notifications.send_course_completed(pk), robust=True)


def certificate_issued(enrollment: Enrollment) -> None:
    """Call inside the transaction that saved the enrollment's first certificate."""
    from enrollments.services import notifications

    pk = enrollment.pk
    transaction.on_commit(lambda: notifications.send_certificate_issued(pk), robust=True)
