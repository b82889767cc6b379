"""Background work. Tasks call services and nothing else; each is safe to run twice
(acks_late: a task may be delivered again after a worker dies)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from enrollments import services
from enrollments.models import Certificate, Enrollment, EnrollmentStatus
from enrollments.services.sync import SYNCABLE
from partners.config import PartnerConfigurationError
from partners.errors import PartnerError
from partners.models import ConnectionMode, Partner

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def provision_enrollment(enrollment_id: int) -> str:
    enrollment = services.enrollment_provision(enrollment_id=enrollment_id)
    return enrollment.status if enrollment else "skipped"


@shared_task(acks_late=True)
def provision_group(enrollment_ids: list[int]) -> dict:
    return services.cohort_provision_group(enrollment_ids=enrollment_ids)


@shared_task(acks_late=True)
def sync_enrollment(enrollment_id: int) -> bool:
    enrollment = Enrollment.objects.select_related("partner").get(pk=enrollment_id)
    return services.enrollment_sync_progress(enrollment=enrollment).changed


@shared_task(acks_late=True)
def fetch_certificate(enrollment_id: int) -> bool:
    enrollment = Enrollment.objects.select_related("partner").get(pk=enrollment_id)
    return services.enrollment_fetch_certificate(enrollment=enrollment) is not None


def api_partner_slugs() -> list[str]:
    return [
        p.slug
        for p in Partner.objects.filter(active=True)
        if p.effective_mode == ConnectionMode.API
    ]


@shared_task(acks_late=True)
def sync_open_enrollments(batch_size: int | None = None) -> dict:
    """Poll the open enrollments synced longest ago (never-synced first), one batch per
    run. One partner failing does not stop the others."""
    batch = (
        Enrollment.objects.filter(status__in=SYNCABLE, partner__slug__in=api_partner_slugs())
        .exclude(external_enrollment_id="")
        .select_related("partner")
        .order_by(F("last_synced_at").asc(nulls_first=True), "pk")[
            : batch_size or settings.SYNC_BATCH_SIZE
        ]
    )
    counts = {"synced": 0, "changed": 0, "failed": 0}
    for enrollment in batch:
        try:
            counts["changed"] += services.enrollment_sync_progress(enrollment=enrollment).changed
            counts["synced"] += 1
        except (PartnerError, PartnerConfigurationError, services.EnrollmentError) as exc:
            counts["failed"] += 1
            logger.info("Sync of enrollment %s failed: %s", enrollment.pk, exc)
    return counts


@shared_task(acks_late=True)
def fetch_missing_certificates(batch_size: int = 100) -> int:
    """Completed enrollments of api partners still without a certificate."""
    missing = (
        Enrollment.objects.filter(
            status=EnrollmentStatus.COMPLETED, partner__slug__in=api_partner_slugs()
        )
        .exclude(external_enrollment_id="")
        .exclude(pk__in=Certificate.objects.values("enrollment_id"))
        .select_related("partner")[:batch_size]
    )
    found = 0
    for enrollment in missing:
        try:
            found += services.enrollment_fetch_certificate(enrollment=enrollment) is not None
        except (PartnerError, PartnerConfigurationError, services.EnrollmentError) as exc:
            logger.info("Certificate fetch for enrollment %s failed: %s", enrollment.pk, exc)
    return found


@shared_task(acks_late=True)
def send_expiry_reminders() -> int:
    from enrollments.services.notifications import send_expiry_reminders as send

    return send()


@shared_task(acks_late=True)
def reconcile(limit: int = 500) -> int:
    """Re-drive every enrollment still `requested` whose next attempt is due: a lost broker
    message, a crash between commit and publish, or a backoff that has run out."""
    due = Enrollment.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()),
        status=EnrollmentStatus.REQUESTED,
        partner__slug__in=api_partner_slugs(),
    ).values_list("pk", flat=True)[:limit]
    count = 0
    for pk in due:
        provision_enrollment.delay(pk)
        count += 1
    return count


@shared_task(acks_late=True)
def prune_idempotency_keys() -> int:
    """Forget API answers kept for Idempotency-Key replay once clients stop retrying."""
    from datetime import timedelta

    from enrollments.models import ApiIdempotencyKey

    cutoff = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_KEY_HOURS)
    return ApiIdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]
