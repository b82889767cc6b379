"""Reads for enrollments (no side effects)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from enrollments.models import (
    Certificate,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    StudentEmail,
)
from partners.config import PartnerConfigurationError, effective_mode
from partners.models import Partner
from partners.modes import ConnectionMode

# Enrollments a poll can move on: the partner has them and they are not finished.
SYNCABLE = (EnrollmentStatus.SUBMITTED, EnrollmentStatus.ACTIVE)

TIMELINE_LIMIT = 200


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "event", "call", "email"
    title: str
    detail: str = ""
    correlation_id: str = ""
    ok: bool = True
    link: str = ""


def api_partner_slugs() -> list[str]:
    """The active partners whose connection mode is `api` now (configuration decides)."""
    return [
        p.slug
        for p in Partner.objects.filter(active=True)
        if effective_mode(p) == ConnectionMode.API
    ]


def enrollments_to_sync(*, slugs: Iterable[str] | None = None) -> QuerySet[Enrollment]:
    """Open enrollments an api partner can report on, synced longest ago (never-synced
    first)."""
    return (
        Enrollment.objects.filter(
            status__in=SYNCABLE,
            partner__slug__in=api_partner_slugs() if slugs is None else list(slugs),
        )
        .exclude(external_enrollment_id="")
        .select_related("partner")
        .order_by(F("last_synced_at").asc(nulls_first=True), "pk")
    )


def enrollments_missing_certificate() -> QuerySet[Enrollment]:
    """Completed enrollments of api partners still without a certificate."""
    return (
        Enrollment.objects.filter(
            status=EnrollmentStatus.COMPLETED, partner__slug__in=api_partner_slugs()
        )
        .exclude(external_enrollment_id="")
        .exclude(pk__in=Certificate.objects.values("enrollment_id"))
        .select_related("partner")
    )


def provisioned_partner_slugs() -> list[str]:
    """The active partners whose requested enrollments provisioning moves on by itself:
    `api` (the adapter enrols them) and `manual` (active at once). A `roster` partner's
    wait for a roster export. A partner whose <SLUG>_MODE is not a mode is left out (its
    health and `manage.py check` name the variable) rather than stopping the others."""
    slugs = []
    for p in Partner.objects.filter(active=True):
        try:
            mode = effective_mode(p)
        except PartnerConfigurationError:
            continue
        if mode in (ConnectionMode.API, ConnectionMode.MANUAL):
            slugs.append(p.slug)
    return slugs


# A new enrollment's provisioning is queued as it is made, and until a worker takes it
# the enrollment has no next attempt. One still untaken this long after it was made is
# taken to have lost its message (as a webhook event is, webhooks/replay.py); sooner, a
# reconcile would only queue a second task behind the first, up to its limit each
# minute while workers drain a backlog.
QUEUED_GRACE = timedelta(minutes=5)


def enrollments_to_provision(*, due_only: bool = True) -> QuerySet[Enrollment]:
    """Requested enrollments of api and manual partners whose next attempt is due (all of
    them with due_only=False), oldest first: a lost broker message or a crash between
    commit and publish (once QUEUED_GRACE has passed), a backoff that has run out, or a
    partner switched from roster mode."""
    waiting = Enrollment.objects.filter(
        status=EnrollmentStatus.REQUESTED, partner__slug__in=provisioned_partner_slugs()
    )
    if due_only:
        now = timezone.now()
        waiting = waiting.filter(
            Q(next_attempt_at__isnull=True, requested_at__lte=now - QUEUED_GRACE)
            | Q(next_attempt_at__lte=now)
        )
    return waiting.order_by("pk")


def enrollments_to_export(*, partner: Partner, cohort=None) -> QuerySet[Enrollment]:
    """The partner's requested enrollments (the cohort's, when given), oldest first: what
    its next roster file holds. Submitted ones are in an earlier file already (download
    that batch again to re-send it). Whether the partner is in roster mode is the
    service's question (enrollments/services/rosters.py)."""
    waiting = Enrollment.objects.filter(partner=partner, status=EnrollmentStatus.REQUESTED)
    if cohort is not None:
        waiting = waiting.filter(cohort=cohort)
    return waiting.order_by("requested_at", "pk")


def cohort_roster_waiting(cohort) -> list[tuple[Partner, int]]:
    """The cohort's enrollments waiting for a roster file: (partner, how many) for each
    partner now in roster mode that has requested enrollments in it."""
    counts = dict(
        Enrollment.objects.filter(cohort=cohort, status=EnrollmentStatus.REQUESTED)
        .values_list("partner")
        .annotate(n=Count("pk"))
    )
    waiting = []
    for partner in Partner.objects.filter(pk__in=counts).order_by("name"):
        try:
            if effective_mode(partner) == ConnectionMode.ROSTER:
                waiting.append((partner, counts[partner.pk]))
        except PartnerConfigurationError:
            continue
    return waiting


TimelineSource = Callable[[Enrollment, int], Iterable[TimelineEntry]]
# Apps above this one add their records to an enrollment's timeline (monitoring: every
# partner call made for it) without enrollments importing them.
_timeline_sources: dict[str, TimelineSource] = {}


def add_timeline_source(name: str, source: TimelineSource) -> None:
    """Register `source(enrollment, limit)` (at app ready); the name makes it idempotent."""
    _timeline_sources[name] = source


def enrollment_timeline(enrollment: Enrollment) -> list[TimelineEntry]:
    """What happened to one enrollment, oldest first: partner events applied, the e-mails
    its student was sent, and what registered sources add (partner calls)."""
    entries = [TimelineEntry(at=enrollment.requested_at, kind="event", title="Requested")]
    events = (
        EnrollmentEvent.objects.filter(enrollment=enrollment)
        .select_related("recorded_by")
        .order_by("-applied_at")
    )
    for event in events[:TIMELINE_LIMIT]:
        changed = ", ".join(f"{k}: {v}" for k, v in event.changes.items() if k != "partner_data")
        by = f" by {event.recorded_by.get_username()}" if event.recorded_by else ""
        entries.append(
            TimelineEntry(
                at=event.applied_at,
                kind="event",
                title=f"{event.event_type} ({event.source}{by})",
                detail=changed or event.note or "no change",
            )
        )
    for source in _timeline_sources.values():
        entries.extend(source(enrollment, TIMELINE_LIMIT))
    # The roster file that took it to the partner (and who exported it).
    for batch in enrollment.roster_exports.select_related("exported_by")[:TIMELINE_LIMIT]:
        by = f" by {batch.exported_by.get_username()}" if batch.exported_by else ""
        entries.append(
            TimelineEntry(
                at=batch.created_at,
                kind="event",
                title=f"Sent in roster batch {batch.pk}{by}",
                detail=f"{batch.get_format_display()}, {batch.row_count} row(s)",
                link=reverse("admin:enrollments_rosterexport_change", args=[batch.pk]),
            )
        )
    for email in StudentEmail.objects.filter(enrollment=enrollment)[:TIMELINE_LIMIT]:
        entries.append(
            TimelineEntry(
                at=email.sent_at,
                kind="email",
                title=f"E-mail: {email.subject}",
                detail=email.recipient,
            )
        )
    return sorted(entries, key=lambda e: e.at)
