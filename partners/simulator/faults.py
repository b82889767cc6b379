"""Fault injection: what a partner outage looks like from our side."""

from __future__ import annotations

import random
import time

from django.http import HttpResponse, JsonResponse

from partners.registry import entries
from partners.simulator.models import SimFault


def faults_for(partner: str) -> SimFault | None:
    fault = SimFault.objects.filter(partner=partner).first()
    return None if fault is None or fault.is_clear else fault


def inject(fault: SimFault, rng=random.random, sleep=time.sleep) -> HttpResponse | None:
    """Stall if told, then maybe answer in place of the partner: 503, 429 or a broken
    body. None means: answer normally. The latency is not slept here: the view holds
    every answer, injected or not, until `latency_ms` after the request came in
    (hold_for_latency)."""
    if fault.stall_seconds:
        sleep(fault.stall_seconds)
    if fault.error_rate and rng() < fault.error_rate:
        return JsonResponse(
            {"error": "service_unavailable", "message": "simulated outage"}, status=503
        )
    if fault.rate_limit_rate and rng() < fault.rate_limit_rate:
        response = JsonResponse({"error": "rate_limited", "message": "slow down"}, status=429)
        response["Retry-After"] = str(fault.retry_after_seconds)
        return response
    if fault.malformed_rate and rng() < fault.malformed_rate:
        return HttpResponse(
            b"<html><body>502 Bad Gateway</body", status=200, content_type="application/json"
        )
    return None


def hold_for_latency(
    fault: SimFault, started: float, *, clock=time.monotonic, sleep=time.sleep
) -> None:
    """Sleep until `latency_ms` after `started` (a time.monotonic() reading taken when the
    request came in): a partner with 100 ms of latency answers 100 ms after it is asked,
    its own work done within that time, not after it. Work that took longer is not
    held further."""
    if fault.latency_ms:
        remaining = fault.latency_ms / 1000 - (clock() - started)
        if remaining > 0:
            sleep(remaining)


def set_faults(partner: str, **values) -> SimFault:
    """Faults for one simulated partner; a slug that is not one (a typo, "HSI") is
    refused, since its faults would match no request."""
    simulated = [entry.slug for entry in entries() if entry.contract]
    if partner not in simulated:
        raise ValueError(f"{partner!r} is not a simulated partner; one of: {', '.join(simulated)}")
    fault, _ = SimFault.objects.update_or_create(partner=partner, defaults=values)
    return fault


def clear_faults(partner: str | None = None) -> int:
    rows = SimFault.objects.all() if partner is None else SimFault.objects.filter(partner=partner)
    return rows.delete()[0]
