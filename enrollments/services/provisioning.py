"""Provisioning: make the partner account if there is none, then enrol.

Safe to run twice and to resume: each step is skipped when its result is already stored,
and both creations carry an Idempotency-Key derived from our own ids, so a retry after a
partial failure never makes a second account or enrolment.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, FilteredRelation, Q
from django.utils import timezone

from config.celery import BrokerError, send
from config.db import savepoint_if_nested
from enrollments.models import Enrollment, EnrollmentStatus, PartnerAccount, VoucherStatus
from enrollments.services import notifications
from enrollments.services.transitions import enrollment_status_changed
from partners.config import PartnerConfigurationError, effective_mode
from partners.context import partner_call_context
from partners.errors import (
    PartnerCircuitOpenError,
    PartnerPermanentError,
    PartnerRateLimitedError,
    PartnerTransientError,
)
from partners.modes import ConnectionMode
from partners.registry import get_adapter
from partners.results import EnrollmentRequest, EnrollmentResult, EnrollmentState, StudentInfo

logger = logging.getLogger(__name__)

# While one worker provisions an enrollment, others leave it alone for this long.
LEASE = timedelta(minutes=5)


def backoff_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes (with up to 20 % jitter), capped at PROVISION_MAX_BACKOFF."""
    minutes = min(2 ** max(attempts - 1, 0), settings.PROVISION_MAX_BACKOFF_MINUTES)
    return timedelta(minutes=minutes * random.uniform(1.0, 1.2))


def _claim(enrollment_id: int) -> Enrollment | None:
    """Take a lease on a requested enrollment that is due; None if another worker holds
    it, it is not due yet, or it is no longer requested.

    Read once claimed, in one statement: the enrollment with its student, course, partner
    and cohort, the student's account with the partner (`partner_account`, None if there
    is none yet) and the voucher taken for it (`voucher`), all that provisioning needs.
    Each round trip saved counts twice when the cores are busy: the answer waits for the
    database's turn, then for the worker's."""
    now = timezone.now()
    claimed = Enrollment.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=enrollment_id,
        status=EnrollmentStatus.REQUESTED,
    ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return None
    return (
        Enrollment.objects.annotate(
            partner_account=FilteredRelation(
                "student__partner_accounts",
                condition=Q(student__partner_accounts__partner=F("partner")),
            )
        )
        .select_related("student", "course", "partner", "cohort", "partner_account", "voucher")
        .get(pk=enrollment_id)
    )


def provisioning_redrive(*, limit: int) -> int:
    """Queue provisioning for up to `limit` requested enrollments whose next attempt is
    due; return how many. Queuing one twice is harmless (the lease in _claim)."""
    from enrollments.selectors import enrollments_to_provision

    due = list(enrollments_to_provision().values_list("pk", flat=True)[:limit])
    for pk in due:
        send("enrollments.tasks.provision_enrollment", pk)
    return len(due)


def enrollment_provision(*, enrollment_id: int, force: bool = False) -> Enrollment | None:
    """Take a `requested` enrollment to its partner, by the partner's mode in force now
    (so switching a mode strands nothing: the next attempt follows the new mode).

    `api`: create the partner account and the enrolment; transient failures schedule the
    next attempt with backoff, an open breaker defers it, a permanent failure marks it
    failed with the reason. `roster`: it waits for a roster export. `manual`: it is
    active at once (enrollment_hand_out).
    Returns the enrollment, or None when there was nothing to do."""
    if force:
        Enrollment.objects.filter(pk=enrollment_id, status=EnrollmentStatus.REQUESTED).update(
            next_attempt_at=None
        )
    enrollment = _claim(enrollment_id)
    if enrollment is None:
        return None
    partner = enrollment.partner
    try:
        mode = effective_mode(partner)
    except PartnerConfigurationError as exc:
        # A <SLUG>_MODE that is not a mode: said on the enrollment, tried again later.
        _defer(enrollment, exc, delay=backoff_delay(enrollment.attempts + 1), count=False)
        return enrollment
    if mode == ConnectionMode.ROSTER:
        # It waits, requested, for a roster export (services/rosters.py) to take it to the
        # partner; no retry is due meanwhile.
        Enrollment.objects.filter(pk=enrollment.pk, status=EnrollmentStatus.REQUESTED).update(
            next_attempt_at=None
        )
        return enrollment
    if mode == ConnectionMode.MANUAL:
        return enrollment_hand_out(enrollment)

    temporary_password: str | None = None
    # No sleeping between attempts inside the call: a transient failure re-queues this
    # task with the client's backoff as countdown (_retry_later), freeing the slot.
    with partner_call_context(enrollment_id=enrollment.pk, retry_in_call=False):
        try:
            adapter = get_adapter(partner.slug)
            # _claim read the account with the enrollment: the attribute is there when
            # the student has one with the partner.
            account, temporary_password = ensure_partner_account(
                adapter, enrollment, found=getattr(enrollment, "partner_account", None)
            )
            request = partner_enrollment_request(enrollment, account_id=account.external_id)
            result = adapter.enroll(request=request)
        except PartnerCircuitOpenError as exc:
            _defer(
                enrollment,
                exc,
                delay=timedelta(seconds=settings.PARTNER_BREAKER_RESET_SECONDS),
                count=False,
            )
            return enrollment
        except PartnerRateLimitedError as exc:
            wait = (
                timedelta(seconds=exc.retry_after)
                if exc.retry_after
                else backoff_delay(enrollment.attempts + 1)
            )
            _defer(enrollment, exc, delay=max(wait, backoff_delay(enrollment.attempts + 1)))
            hand_over_password(enrollment, temporary_password)
            return enrollment
        except PartnerTransientError as exc:
            _retry_later(enrollment, exc)
            hand_over_password(enrollment, temporary_password)
            return enrollment
        except (PartnerPermanentError, PartnerConfigurationError) as exc:
            provisioning_failed(enrollment, exc)
            hand_over_password(enrollment, temporary_password)
            return enrollment

    return record_partner_enrollment(
        enrollment,
        result,
        temporary_password=temporary_password,
        account=account,
        voucher_code=request.voucher_code,
    )


def record_partner_enrollment(
    enrollment: Enrollment,
    result: EnrollmentResult,
    *,
    temporary_password: str | None,
    account: PartnerAccount | None = None,
    voucher_code: str | None = None,
) -> Enrollment:
    """Store the partner's enrolment of a requested enrollment (one by one or from a group
    call), with the effects of reaching the partner (services/transitions.py). `account`
    and `voucher_code`: the partner account and voucher code the call was made with, when
    the caller has them (the e-mail then does not read them again)."""
    # One conditional UPDATE both checks that it is still requested and stores the
    # result (no row lock read first); the enrollment in hand, with the student, course
    # and partner already loaded, then carries the new values to the transition's effects.
    now = timezone.now()
    status = (
        EnrollmentStatus.ACTIVE
        if result.status == EnrollmentState.ACTIVE
        else EnrollmentStatus.SUBMITTED
    )
    changes = {
        "external_enrollment_id": result.external_id,
        "status": status,
        "submitted_at": now,
        "partner_data": result.raw,
        "last_error": "",
        "next_attempt_at": None,
        "updated_at": now,
    }
    if result.launch_url:
        changes["launch_url"] = result.launch_url
    # Outside a caller's transaction the UPDATE commits on its own and the effects
    # registered for after commit (the e-mail) run as they are registered.
    with savepoint_if_nested():
        stored = Enrollment.objects.filter(
            pk=enrollment.pk, status=EnrollmentStatus.REQUESTED
        ).update(attempts=F("attempts") + 1, **changes)
        if not stored:
            # Cancelled (or moved on by an event) meanwhile.
            current = Enrollment.objects.get(pk=enrollment.pk)
            hand_over_password(current, temporary_password)
            return current
        before = EnrollmentStatus.REQUESTED  # what the UPDATE required
        for name, value in changes.items():
            setattr(enrollment, name, value)
        enrollment.attempts += 1
        enrollment_status_changed(
            enrollment,
            before=before,
            temporary_password=temporary_password,
            account=account,
            voucher_code=voucher_code,
        )
    return enrollment


def enrollment_hand_out(enrollment: Enrollment) -> Enrollment:
    """A `manual` partner's enrollment is active as soon as it is made: the access is
    what staff hand out (the voucher, credit or seat taken at enrolment, and the partner
    link known for the student, if any), and staff record the outcome later
    (services/outcomes.py). It goes through the effects of any path to active
    (services/transitions.py: the "you're enrolled" e-mail, with the voucher code)."""
    with transaction.atomic():
        locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if locked.status != EnrollmentStatus.REQUESTED:
            return locked  # cancelled, or moved on another way, meanwhile
        if not locked.launch_url:
            account = PartnerAccount.objects.filter(
                student_id=locked.student_id, partner_id=locked.partner_id
            ).first()
            locked.launch_url = account.login_url if account else ""
        before = locked.status
        locked.status = EnrollmentStatus.ACTIVE
        locked.submitted_at = timezone.now()
        locked.last_error = ""
        locked.next_attempt_at = None
        locked.save(
            update_fields=[
                "status",
                "submitted_at",
                "launch_url",
                "last_error",
                "next_attempt_at",
                "updated_at",
            ]
        )
        enrollment_status_changed(locked, before=before)
    return locked


# ensure_partner_account's `found` when the caller has not looked the account up.
NOT_READ = object()


def ensure_partner_account(
    adapter, enrollment: Enrollment, *, found: PartnerAccount | object | None = NOT_READ
) -> tuple[PartnerAccount, str | None]:
    """The student's account with the enrollment's partner, created there if we hold no
    id for it, and the temporary password the partner gave for a new one (never stored:
    the caller hands it to the student). `found`: the account row the caller has just
    read (None: there is none), so it is not read again."""
    student = enrollment.student
    account = (
        PartnerAccount.objects.filter(student=student, partner=enrollment.partner).first()
        if found is NOT_READ
        else found
    )
    if account and account.external_id:
        return account, None
    result = adapter.create_account(
        student=StudentInfo(
            external_ref=student.external_ref,
            first_name=student.first_name,
            last_name=student.last_name,
            email=student.email,
            phone=student.phone,
        ),
        idempotency_key=f"partnerhub-account-{enrollment.partner.slug}-{student.pk}",
    )
    fields = {
        "external_id": result.external_id,
        "username": result.username,
        "login_url": result.login_url,
        "partner_data": result.raw,
    }
    if account is not None:  # a row without the partner's id: complete it
        for name, value in fields.items():
            setattr(account, name, value)
        account.save(update_fields=[*fields, "updated_at"])
        return account, result.temporary_password
    try:
        with savepoint_if_nested():
            account = PartnerAccount.objects.create(
                student=student, partner=enrollment.partner, **fields
            )
    except IntegrityError:
        # Another worker stored the student's account meanwhile: ours is the same one
        # (the Idempotency-Key), so it takes our answer, as before.
        account, _ = PartnerAccount.objects.update_or_create(
            student=student, partner=enrollment.partner, defaults=fields
        )
    return account, result.temporary_password


def partner_enrollment_request(enrollment: Enrollment, *, account_id: str) -> EnrollmentRequest:
    """What to ask the partner for this enrollment, in our words: the partner account, the
    course, our id (and the idempotency key derived from it), and the extras the
    enrollment carries (a voucher from our stock, its cohort's group code, a promo code).
    Each adapter maps it to its partner's field names."""
    # The voucher taken for it (read with it by _claim; None if it has none).
    voucher = getattr(enrollment, "voucher", None)
    if voucher is not None and (voucher.status != VoucherStatus.ASSIGNED or not voucher.code):
        voucher = None
    cohort = enrollment.cohort
    return EnrollmentRequest(
        account_id=account_id,
        course_code=enrollment.course.code,
        reference=str(enrollment.pk),
        idempotency_key=f"partnerhub-enrollment-{enrollment.pk}",
        voucher_code=voucher.code if voucher else "",
        group_code=cohort.group_code if cohort else "",
        promo_code=enrollment.promo_code or "",
    )


def hand_over_password(enrollment: Enrollment, temporary_password: str | None) -> None:
    """The account exists but the enrolment did not go through this time: the password is
    never stored, so it goes to the student now or never."""
    if temporary_password:
        notifications.send_account_created(enrollment.pk, temporary_password=temporary_password)


def _defer(enrollment: Enrollment, exc: Exception, *, delay: timedelta, count: bool = True) -> None:
    Enrollment.objects.filter(pk=enrollment.pk, status=EnrollmentStatus.REQUESTED).update(
        attempts=enrollment.attempts + (1 if count else 0),
        last_error=f"{type(exc).__name__}: {exc}"[:1000],
        next_attempt_at=timezone.now() + delay,
    )
    logger.info("Enrollment %s deferred %s: %s", enrollment.pk, delay, exc)


# Provisioning makes two partner calls (the account, the enrolment), each of which the
# client would have tried <SLUG>_MAX_RETRIES times.
PROVISIONING_CALLS = 2


def _retry_later(enrollment: Enrollment, exc: PartnerTransientError) -> None:
    """A transient failure. The retries the partner client would have made inside both
    calls (<SLUG>_MAX_RETRIES attempts each, 1 s, 2 s … apart) happen as this task
    re-queued with that countdown, so no worker slot sleeps through the wait; once they
    are spent the next attempt is minutes away (backoff_delay) and the reconcile job
    re-drives it. Both set next_attempt_at, so a re-queued task that is lost is re-driven
    too."""
    client = get_adapter(enrollment.partner.slug).client
    failed = enrollment.attempts + 1
    quick = PROVISIONING_CALLS * client.max_attempts
    seconds = (
        client.retry_delay(min(failed, max(client.max_attempts - 1, 1)), exc)
        if failed < quick
        else None
    )
    if seconds is None:
        _defer(enrollment, exc, delay=backoff_delay(max(failed - quick + 1, 1)))
        return
    _defer(enrollment, exc, delay=timedelta(seconds=seconds))
    try:
        send("enrollments.tasks.provision_enrollment", enrollment.pk, countdown=seconds)
    except (BrokerError, OSError) as error:
        logger.warning(
            "Could not re-queue enrollment %s (%s): reconcile will", enrollment.pk, error
        )


def provisioning_failed(enrollment: Enrollment, exc: Exception) -> None:
    """A permanent failure: the requested enrollment is failed with the reason."""
    Enrollment.objects.filter(pk=enrollment.pk, status=EnrollmentStatus.REQUESTED).update(
        status=EnrollmentStatus.FAILED,
        attempts=enrollment.attempts + 1,
        last_error=f"{type(exc).__name__}: {exc}"[:1000],
        next_attempt_at=None,
    )
    logger.warning("Enrollment %s failed: %s", enrollment.pk, exc)
