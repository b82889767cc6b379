"""The simulator's housekeeping, on the beat schedule like every other job."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

# Like a real partner, the simulator replays an Idempotency-Key's answer for a day.
REPLAY_HOURS = 24


@shared_task(acks_late=True)
def prune_simulator_idempotency_records() -> int:
    """Forget the simulator's stored answers once no adapter would still retry them (the
    client gives up within minutes). Without this the table grows with every enrolment
    made against the simulator."""
    from partners.simulator.models import SimIdempotencyRecord

    cutoff = timezone.now() - timedelta(hours=REPLAY_HOURS)
    return SimIdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()[0]
