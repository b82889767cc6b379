"""The hourly call counts (PartnerCallHour) the recorder keeps as it writes request logs:
they must agree with counting the logs themselves, whatever the batches."""

import random
from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncHour

from monitoring.models import CallOutcome, PartnerCallHour, PartnerRequestLog
from monitoring.recorder import record_request_log, write_records
from monitoring.rollups import COUNTS, LATENCY_BOUNDS_MS
from monitoring.rules import SENT
from partners.signals import CallRecord

from .conftest import T0


def counted_from_logs() -> dict:
    """(partner id, hour) -> COUNTS, counted over the logs."""
    sent = Q(outcome__in=SENT)
    rows = (
        PartnerRequestLog.objects.annotate(hour=TruncHour("created_at"))
        .values("partner_id", "hour")
        .annotate(
            calls=Count("pk", filter=sent),
            errors=Count("pk", filter=sent & ~Q(outcome=CallOutcome.SUCCESS)),
            refused=Count("pk", filter=Q(outcome=CallOutcome.REFUSED)),
            **{
                f"le_{b}": Count("pk", filter=sent & Q(duration_ms__lte=b))
                for b in LATENCY_BOUNDS_MS
            },
        )
        .order_by()
    )
    return {(r["partner_id"], r["hour"]): [r[c] for c in COUNTS] for r in rows}


def kept_by_recorder() -> dict:
    return {
        (r["partner_id"], r["hour"]): [r[c] for c in COUNTS]
        for r in PartnerCallHour.objects.values("partner_id", "hour", *COUNTS)
    }


def record(rng, slug) -> CallRecord:
    outcome = rng.choice(list(CallOutcome.values))
    return CallRecord(
        partner=slug,
        operation="enroll",
        method="POST",
        url="https://partner.test/x",
        outcome=outcome,
        duration_ms=0 if outcome == CallOutcome.REFUSED else rng.choice([10, 50, 51, 999, 70000]),
        attempt=1,
    )


def test_the_hourly_counts_agree_with_counting_the_logs(catalogue, clock):
    rng = random.Random(14)
    for _ in range(6):  # batches over several hours and partners, some hours twice
        write_records(record(rng, rng.choice(["hsi", "nds", "jri"])) for _ in range(40))
        clock.shift(timedelta(minutes=rng.choice([20, 50, 70])))
    write_records([record(rng, "not-a-partner")])  # dropped from both

    kept = kept_by_recorder()
    assert len(kept) > 3 and sum(row[0] + row[2] for row in kept.values()) == 240
    assert kept == counted_from_logs()


def test_every_call_through_the_hook_is_counted_in_its_hour(catalogue, clock):
    """The signal receiver (immediate writer here) keeps the counts too: a recorder that
    stopped updating them fails this."""
    rng = random.Random(3)
    for _ in range(5):
        record_request_log(None, record=record(rng, "hsi"))
    hour = PartnerCallHour.objects.get()
    assert hour.hour == T0
    assert kept_by_recorder() == counted_from_logs()


def test_a_batch_larger_than_one_insert_is_written_whole(catalogue, clock, monkeypatch):
    from monitoring import recorder

    monkeypatch.setattr(recorder, "ROWS_PER_INSERT", 7)
    rng = random.Random(5)
    assert write_records(record(rng, "nrf") for _ in range(30)) == 30
    assert PartnerRequestLog.objects.count() == 30
    assert kept_by_recorder() == counted_from_logs()
