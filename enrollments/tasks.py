"""Background work. Tasks call services and nothing else; each is safe to run twice
(acks_late: a task may be delivered again after a worker dies). Services queue them by
name (config.celery.send), so this module is the only one that imports both."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from enrollments import services
from enrollments.api.idempotency import idempotency_keys_prune
from enrollments.services.notifications import send_expiry_reminders as expiry_reminders_send
from enrollments.services.provisioning import provisioning_redrive
from enrollments.services.sync import certificates_fetch_missing, enrollments_sync_due
from enrollments.services.verification import certificates_recheck_due
from enrollments.services.vouchers import vouchers_expire


@shared_task(acks_late=True)
def provision_enrollment(enrollment_id: int) -> str:
    enrollment = services.enrollment_provision(enrollment_id=enrollment_id)
    return enrollment.status if enrollment else "skipped"


@shared_task(acks_late=True)
def provision_group(enrollment_ids: list[int]) -> dict:
    return services.cohort_provision_group(enrollment_ids=enrollment_ids)


@shared_task(acks_late=True)
def sync_open_enrollments(batch_size: int | None = None) -> dict:
    """Scheduled: poll one batch of open enrollments, synced longest ago first."""
    return enrollments_sync_due(batch_size=batch_size or settings.SYNC_BATCH_SIZE)


@shared_task(acks_late=True)
def fetch_missing_certificates(batch_size: int = 100) -> int:
    return certificates_fetch_missing(batch_size=batch_size)


@shared_task(acks_late=True)
def send_expiry_reminders() -> int:
    return expiry_reminders_send()


@shared_task(acks_late=True)
def reconcile(limit: int = 500) -> int:
    """Scheduled: re-drive requested enrollments whose next attempt is due."""
    return provisioning_redrive(limit=limit)


@shared_task(acks_late=True)
def prune_idempotency_keys() -> int:
    return idempotency_keys_prune()


@shared_task(acks_late=True)
def expire_vouchers() -> int:
    """Scheduled: available vouchers past their date become expired."""
    return vouchers_expire()


@shared_task(acks_late=True)
def recheck_credentials(limit: int | None = None) -> dict:
    """Scheduled: check one batch of Credly badges due for a check."""
    return dict(certificates_recheck_due(limit=limit).counts)
