"""Partner calls on an enrollment's timeline: monitoring registers this source with
enrollments (enrollments.selectors.add_timeline_source), which never imports monitoring."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse

from enrollments.models import Enrollment
from enrollments.selectors import TimelineEntry
from monitoring.models import PartnerRequestLog


def partner_calls(enrollment: Enrollment, limit: int) -> Iterator[TimelineEntry]:
    """The newest `limit` partner calls made for this enrollment."""
    logs = PartnerRequestLog.objects.filter(enrollment_id=enrollment.pk).order_by("-created_at")
    for log in logs[:limit]:
        yield TimelineEntry(
            at=log.created_at,
            kind="call",
            title=f"{log.method} {log.operation} (attempt {log.attempt})",
            detail=f"{log.status_code or log.error_class or log.outcome} in {log.duration_ms} ms",
            correlation_id=log.correlation_id,
            ok=log.outcome == "success",
            link=reverse("admin:monitoring_partnerrequestlog_change", args=[log.pk]),
        )
