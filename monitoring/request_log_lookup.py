"""Request logs found by correlation id, for the partner smoke test (partners/smoke.py),
which cannot import this app and gets this function registered in MonitoringConfig."""

from __future__ import annotations

from collections.abc import Sequence

from monitoring.models import PartnerRequestLog
from monitoring.recorder import writer


def request_log_ids(correlation_ids: Sequence[str]) -> dict[str, list[int]]:
    """correlation id -> the ids of its request logs, oldest first. Logs still waiting in
    this process's buffered writer are written first, so none is missed."""
    writer().flush()
    found: dict[str, list[int]] = {}
    rows = (
        PartnerRequestLog.objects.filter(correlation_id__in=list(correlation_ids))
        .order_by("pk")
        .values_list("correlation_id", "pk")
    )
    for correlation_id, pk in rows:
        found.setdefault(correlation_id, []).append(pk)
    return found
