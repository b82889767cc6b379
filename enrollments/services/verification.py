"""Credential checks: is the certificate we hold still good, and is it our student's?

Rules:
- A Credly badge (the certificate's verification URL, else its certificate URL, names one)
  is checked against its public Open Badges 2.0 assertion (partners/credly.py, through the
  one HTTP client, so every check is a request log). The order of the verdicts:
  1. the recipient is compared with the student's e-mail, trimmed and case-insensitive:
     `hashed` identities are `<algorithm>$<hex>` of the e-mail followed by `salt` (no salt:
     the e-mail alone), plain ones the e-mail itself; someone else's badge is `mismatch`,
     whatever else it says;
  2. `revoked: true` (or an HTTP 410, which Open Badges allows for a revoked assertion)
     is `revoked`, with the issuer's `revocationReason` as the note;
  3. an `expires` in the past is `expired`;
  4. otherwise `verified`, and `verified_at` is now.
- Every other verification URL (HSI's validation page, CareerSafe's OSHA card lookup,
  Certiport's transcript, ...) answers a person, not a program: it is `recorded`, with a
  note that someone must open the link. It is never reported as verified.
- When no answer can be had (timeout, 5xx, an open breaker, a 404, a body that is not an
  assertion, no e-mail to compare, no URL at all) the result is `failed` with the reason;
  `verified_at` keeps the last time the certificate was found good.
- Each check writes the four verification fields of its certificate and nothing else.
  The bulk run never raises: a certificate that could not be checked is counted as failed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import requests
from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from enrollments.models import Certificate, VerificationStatus
from partners import credly
from partners.config import PartnerConfigurationError
from partners.context import partner_call_context
from partners.errors import PartnerError, PartnerInvalidResponseError, PartnerNotFoundError

logger = logging.getLogger(__name__)

# Identity hashes Open Badges issuers use (2.0 names sha256; 1.0 allowed md5 too).
HASH_ALGORITHMS = frozenset({"sha256", "sha512", "sha1", "md5"})
# The statuses a scheduled re-check revisits: a person decides what happens to the rest.
RECHECKED = (VerificationStatus.UNCHECKED, VerificationStatus.VERIFIED, VerificationStatus.FAILED)


@dataclass(frozen=True)
class CredentialCheck:
    """What one check found, as stored on the certificate."""

    certificate_id: int
    status: str  # a VerificationStatus value
    note: str
    checked_at: datetime
    verified_at: datetime | None
    assertion: Any = field(default=None, repr=False)  # what Credly sent, when it answered


@dataclass
class CheckSummary:
    """A bulk run: the count per status and every check, in order."""

    counts: Counter = field(default_factory=Counter)
    checks: list[CredentialCheck] = field(default_factory=list)

    def add(self, check: CredentialCheck) -> None:
        self.counts[check.status] += 1
        self.checks.append(check)

    def __str__(self) -> str:
        if not self.checks:
            return "No certificate checked."
        parts = [
            f"{self.counts[status]} {status}"
            for status in VerificationStatus.values
            if self.counts[status]
        ]
        return f"{len(self.checks)} certificate(s) checked: {', '.join(parts)}."


class _Verdict(Exception):
    """Raised inside a check to stop at a verdict (status, note)."""

    def __init__(self, status: str, note: str):
        super().__init__(note)
        self.status = status
        self.note = note


def certificate_verify(
    certificate: Certificate,
    *,
    session: requests.Session | None = None,
    now: datetime | None = None,
) -> CredentialCheck:
    """Check one certificate's credential and store the result on it (see the module's
    rules). Never raises for what the issuer answered or failed to answer."""
    now = now or timezone.now()
    assertion = None
    try:
        badge = _credly_badge(certificate)
        if badge is None:
            raise _not_machine_checkable(certificate)
        assertion = _assertion(certificate, badge, session=session)
        status, note = _judge(assertion, certificate=certificate, badge=badge, now=now)
    except _Verdict as verdict:
        status, note = verdict.status, verdict.note
    return _store(certificate, status=status, note=note, now=now, assertion=assertion)


def certificates_verify(
    certificates: QuerySet[Certificate] | Iterable[int],
    *,
    now: datetime | None = None,
) -> CheckSummary:
    """Check every certificate of `certificates` (a queryset, or ids) and say how many
    ended in each status. One HTTP session for the run; never raises for one certificate:
    an unexpected error is logged and stored as `failed`."""
    if not isinstance(certificates, QuerySet):
        certificates = Certificate.objects.filter(pk__in=list(certificates))
    certificates = certificates.select_related(
        "enrollment__student", "enrollment__partner"
    ).order_by("pk")
    summary = CheckSummary()
    with requests.Session() as session:
        for certificate in certificates.iterator(chunk_size=200):
            try:
                check = certificate_verify(certificate, session=session, now=now)
            except Exception as exc:  # one certificate's bug must not stop the run
                logger.exception("Credential check of certificate #%s failed", certificate.pk)
                check = _store(
                    certificate,
                    status=VerificationStatus.FAILED,
                    note=f"Could not be checked: unexpected error ({type(exc).__name__}).",
                    now=now or timezone.now(),
                )
            summary.add(check)
    return summary


def certificates_due_for_check(*, now: datetime | None = None) -> QuerySet[Certificate]:
    """Credly badges never checked, or last checked more than CERTIFICATE_RECHECK_DAYS
    ago, that were not found revoked, expired or someone else's (a person handles
    those); never checked first."""
    now = now or timezone.now()
    stale = now - timedelta(days=settings.CERTIFICATE_RECHECK_DAYS)
    on_credly = Q()
    for host in credly.HOSTS:
        on_credly |= Q(verification_url__icontains=host) | Q(url__icontains=host)
    return (
        Certificate.objects.filter(on_credly, verification_status__in=RECHECKED)
        .filter(Q(verification_checked_at__isnull=True) | Q(verification_checked_at__lt=stale))
        .order_by(F("verification_checked_at").asc(nulls_first=True), "pk")
    )


def certificates_recheck_due(*, limit: int | None = None) -> CheckSummary:
    """Scheduled: check one batch of the Credly badges due for a check."""
    limit = limit or settings.CERTIFICATE_RECHECK_BATCH
    ids = list(certificates_due_for_check().values_list("pk", flat=True)[:limit])
    return certificates_verify(ids)


# -- one check -------------------------------------------------------------------------


def _credly_badge(certificate: Certificate) -> str | None:
    """The Credly badge id the verification URL, else the certificate URL, names."""
    for url in (certificate.verification_url, certificate.url):
        if url and (badge := credly.badge_id(url)):
            return badge
    return None


def _not_machine_checkable(certificate: Certificate) -> _Verdict:
    url = certificate.verification_url or certificate.url
    if not url:
        return _Verdict(
            VerificationStatus.FAILED,
            "Could not be checked: the certificate has no verification URL.",
        )
    if credly.is_credly_url(url):
        return _Verdict(
            VerificationStatus.FAILED,
            f"Could not be checked: {url} is on Credly but names no badge "
            "(expected https://www.credly.com/badges/<badge id>).",
        )
    partner = certificate.enrollment.partner.name
    return _Verdict(
        VerificationStatus.RECORDED,
        f"{partner}'s verification page answers a person, not a program: "
        f"open {url} and compare the name, number and dates with this certificate.",
    )


def _assertion(certificate: Certificate, badge: str, *, session) -> Any:
    enrollment = certificate.enrollment
    client = credly.assertion_client(partner=enrollment.partner.slug, session=session)
    try:
        with partner_call_context(enrollment_id=enrollment.pk):
            return credly.fetch_assertion(client, badge)
    except PartnerNotFoundError as exc:
        raise _Verdict(
            VerificationStatus.FAILED,
            f"Could not be checked: Credly has no badge {badge} (404): the URL may be "
            "mistyped, or the badge was deleted or made private. Check the link with the "
            "student.",
        ) from exc
    except PartnerError as exc:
        if exc.status == 410:  # Open Badges: a revoked hosted assertion may answer 410 Gone
            note = _revocation_note(_json(exc.excerpt))
            raise _Verdict(
                VerificationStatus.REVOKED, f"{note} (Credly answered 410 Gone)"
            ) from exc
        raise _Verdict(
            VerificationStatus.FAILED, f"Could not be checked: Credly: {_describe(exc)}."
        ) from exc
    except PartnerConfigurationError as exc:
        raise _Verdict(VerificationStatus.FAILED, f"Could not be checked: {exc}") from exc


def _judge(assertion: Any, *, certificate: Certificate, badge: str, now: datetime):
    if not isinstance(assertion, dict) or not isinstance(assertion.get("recipient"), dict):
        raise _Verdict(
            VerificationStatus.FAILED,
            f"Could not be checked: Credly's answer for badge {badge} is not an Open Badges "
            "assertion (no recipient).",
        )
    email = (certificate.enrollment.student.email or "").strip()
    if not email:
        raise _Verdict(
            VerificationStatus.FAILED,
            "Could not be checked: the student has no e-mail to compare with the badge's "
            "recipient.",
        )
    _check_recipient(assertion["recipient"], email)
    if assertion.get("revoked") in (True, "true"):
        return VerificationStatus.REVOKED, _revocation_note(assertion)
    expires = _when(assertion.get("expires"))
    if expires is not None and expires <= now:
        return VerificationStatus.EXPIRED, f"Expired on {expires.date().isoformat()} (Credly)."
    issued = _when(assertion.get("issuedOn"))
    note = f"Credly badge {badge} issued to {email}"
    if issued:
        note += f" on {issued.date().isoformat()}"
    note += f"; expires {expires.date().isoformat()}." if expires else "; does not expire."
    return VerificationStatus.VERIFIED, note


def _check_recipient(recipient: dict, email: str) -> None:
    kind = str(recipient.get("type") or "email").lower()
    identity = recipient.get("identity")
    if kind != "email" or not isinstance(identity, str) or not identity.strip():
        raise _Verdict(
            VerificationStatus.FAILED,
            f"Could not be checked: the badge's recipient is identified by {kind!r}, not an "
            "e-mail; compare it by hand.",
        )
    identity = identity.strip()
    hashed = recipient.get("hashed") in (True, "true")
    if not hashed:
        if identity.lower() != email.lower():
            raise _Verdict(
                VerificationStatus.MISMATCH,
                f"The badge was issued to {identity}, not to the student's {email}.",
            )
        return
    algorithm, _, digest = identity.partition("$")
    algorithm = algorithm.lower()
    if not digest or algorithm not in HASH_ALGORITHMS:
        raise _Verdict(
            VerificationStatus.FAILED,
            f"Could not be checked: the badge's recipient hash {identity[:20]!r} is not "
            "'<algorithm>$<hex>' with a known algorithm.",
        )
    salt = recipient.get("salt") or ""
    # The issuer may have hashed the address as typed or lower-cased: either is a match.
    for candidate in dict.fromkeys((email.lower(), email)):
        ours = hashlib.new(algorithm, (candidate + salt).encode()).hexdigest()
        if hmac.compare_digest(ours, digest.lower()):
            return
    raise _Verdict(
        VerificationStatus.MISMATCH,
        f"The badge was issued to someone else: its recipient hash does not match the "
        f"student's e-mail {email}.",
    )


def _revocation_note(assertion: Any) -> str:
    reason = assertion.get("revocationReason") if isinstance(assertion, dict) else None
    if isinstance(reason, str) and reason.strip():
        return f"Revoked by the issuer: {reason.strip()}"
    return "Revoked by the issuer (no reason given)."


def _when(value: Any) -> datetime | None:
    """An Open Badges date (ISO 8601 date-time or date; naive means UTC) or None when
    absent; a value that is no date stops the check."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        moment = parse_datetime(text)
        if moment is None and (day := parse_date(text)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise _Verdict(
            VerificationStatus.FAILED, f"Could not be checked: Credly's date {text!r} is no date."
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _describe(exc: PartnerError) -> str:
    """The client's words without the partner's name (the request log is the partner's,
    the answer was Credly's)."""
    message = str(exc.args[0]).replace("partner answered", "answered").replace("the partner", "it")
    if exc.status and str(exc.status) not in message:
        message += f" (HTTP {exc.status})"
    if isinstance(exc, PartnerInvalidResponseError) and exc.excerpt:
        message += f": {exc.excerpt[:80]!r}"
    return message


def _json(text: str) -> Any:
    import json

    try:
        return json.loads(text or "null")
    except ValueError:
        return None


def _store(
    certificate: Certificate, *, status: str, note: str, now: datetime, assertion: Any = None
) -> CredentialCheck:
    fields = {
        "verification_status": status,
        "verification_checked_at": now,
        "verification_note": note,
    }
    if status == VerificationStatus.VERIFIED:
        fields["verified_at"] = now
    # An UPDATE of these columns only: a check never rewrites what the partner reported.
    Certificate.objects.filter(pk=certificate.pk).update(**fields)
    for name, value in fields.items():
        setattr(certificate, name, value)
    return CredentialCheck(
        certificate_id=certificate.pk,
        status=status,
        note=note,
        checked_at=now,
        verified_at=certificate.verified_at,
        assertion=assertion,
    )
