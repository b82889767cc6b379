"""Reading from partners: progress, certificates, launch URLs. Polls become canonical
events and go through the one write path like everything else."""

from __future__ import annotations

import logging

from django.utils import timezone

from enrollments.models import Enrollment, EnrollmentStatus, PartnerAccount
from enrollments.selectors import SYNCABLE, enrollments_missing_certificate, enrollments_to_sync
from enrollments.services.errors import EnrollmentError, EnrollmentStateError
from enrollments.services.events import ApplyResult, enrollment_apply_event
from partners.config import PartnerConfigurationError, effective_mode
from partners.context import partner_call_context
from partners.errors import PartnerError, PartnerInvalidResponseError
from partners.events import EventSource, EventType, PartnerEvent
from partners.modes import ConnectionMode
from partners.registry import get_adapter
from partners.results import LaunchResult

logger = logging.getLogger(__name__)


def _require_partner_link(enrollment: Enrollment) -> None:
    if effective_mode(enrollment.partner) != ConnectionMode.API:
        raise EnrollmentStateError(
            f"{enrollment.partner.name} is in {effective_mode(enrollment.partner)} mode: "
            "progress comes from its results import or from staff."
        )
    if not enrollment.external_enrollment_id:
        raise EnrollmentStateError("This enrollment has not reached the partner yet.")


def enrollment_sync_progress(*, enrollment: Enrollment) -> ApplyResult:
    """Ask the partner for progress (and the certificate once completed) and apply it.
    PartnerInvalidResponseError when part of the answer could not be used (the rest is
    applied)."""
    if enrollment.status in (EnrollmentStatus.CANCELLED, EnrollmentStatus.FAILED):
        raise EnrollmentStateError(
            f"A {enrollment.get_status_display().lower()} enrollment is not synced."
        )
    _require_partner_link(enrollment)
    adapter = get_adapter(enrollment.partner.slug)
    now = timezone.now()
    with partner_call_context(enrollment_id=enrollment.pk):
        progress = adapter.get_progress(external_enrollment_id=enrollment.external_enrollment_id)
        result = enrollment_apply_event(
            PartnerEvent(
                type=EventType.COURSE_COMPLETED
                if progress.completed
                else EventType.PROGRESS_UPDATED,
                partner=enrollment.partner.slug,
                occurred_at=now,
                external_enrollment_id=enrollment.external_enrollment_id,
                progress_percent=progress.progress_percent,
                score=progress.score,
                passed=progress.passed,
                completed_at=progress.completed_at,
                source=EventSource.POLL,
                raw=progress.raw,
            )
        )
        Enrollment.objects.filter(pk=enrollment.pk).update(last_synced_at=now)
        if result.enrollment.status == EnrollmentStatus.COMPLETED and not hasattr_certificate(
            result.enrollment
        ):
            fetched = enrollment_fetch_certificate(enrollment=result.enrollment)
            if fetched is not None:
                result.changes.update(fetched.changes)
    result.enrollment.refresh_from_db()
    if result.problems:
        # The usable part of the answer is applied (and recorded if it changed
        # something); what was left out is an invalid answer the caller must see.
        raise PartnerInvalidResponseError(
            "invalid partner answer, left out: " + "; ".join(result.problems),
            partner=enrollment.partner.slug,
            operation="get_progress",
        )
    return result


def enrollments_sync_due(*, batch_size: int) -> dict[str, int]:
    """Poll the `batch_size` open enrollments synced longest ago. One partner failing
    (or missing a setting) does not stop the others; returns synced, changed, failed."""
    counts = {"synced": 0, "changed": 0, "failed": 0}
    for enrollment in enrollments_to_sync()[:batch_size]:
        try:
            counts["changed"] += enrollment_sync_progress(enrollment=enrollment).changed
            counts["synced"] += 1
        except (PartnerError, PartnerConfigurationError, EnrollmentError) as exc:
            counts["failed"] += 1
            logger.info("Sync of enrollment %s failed: %s", enrollment.pk, exc)
    return counts


def certificates_fetch_missing(*, batch_size: int) -> int:
    """Ask the partner for the certificate of up to `batch_size` completed enrollments
    that have none; return how many were found."""
    found = 0
    for enrollment in enrollments_missing_certificate()[:batch_size]:
        try:
            found += enrollment_fetch_certificate(enrollment=enrollment) is not None
        except (PartnerError, PartnerConfigurationError, EnrollmentError) as exc:
            logger.info("Certificate fetch for enrollment %s failed: %s", enrollment.pk, exc)
    return found


def hasattr_certificate(enrollment: Enrollment) -> bool:
    from enrollments.models import Certificate

    return Certificate.objects.filter(enrollment=enrollment).exists()


def enrollment_fetch_certificate(*, enrollment: Enrollment) -> ApplyResult | None:
    """Fetch the certificate from the partner; None when it has not issued one yet."""
    _require_partner_link(enrollment)
    adapter = get_adapter(enrollment.partner.slug)
    with partner_call_context(enrollment_id=enrollment.pk):
        certificate = adapter.get_certificate(
            external_enrollment_id=enrollment.external_enrollment_id
        )
    if certificate is None:
        return None
    return enrollment_apply_event(
        PartnerEvent(
            type=EventType.CERTIFICATE_ISSUED,
            partner=enrollment.partner.slug,
            occurred_at=timezone.now(),
            external_enrollment_id=enrollment.external_enrollment_id,
            certificate=certificate,
            source=EventSource.POLL,
            raw=certificate.raw,
        )
    )


def enrollment_launch_url(*, enrollment: Enrollment) -> LaunchResult:
    """A fresh, time-limited URL that signs the student in to the course."""
    _require_partner_link(enrollment)
    if enrollment.status not in (*SYNCABLE, EnrollmentStatus.COMPLETED):
        raise EnrollmentStateError(
            f"A {enrollment.get_status_display().lower()} enrollment has no course to open."
        )
    account = PartnerAccount.objects.filter(
        student=enrollment.student, partner=enrollment.partner
    ).first()
    if account is None or not account.external_id:
        raise EnrollmentStateError("The student has no account with this partner yet.")
    with partner_call_context(enrollment_id=enrollment.pk):
        return get_adapter(enrollment.partner.slug).sso_launch_url(
            account_id=account.external_id, external_enrollment_id=enrollment.external_enrollment_id
        )
