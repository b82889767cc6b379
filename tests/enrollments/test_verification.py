"""Credential checks (enrollments/services/verification.py): Credly's public Open Badges
2.0 assertion answered by `responses` mocks, never the network; other partners'
verification links recorded for a person to check."""

import hashlib
from datetime import timedelta

import pytest
import requests
import responses
from django.core.management import CommandError, call_command
from django.utils import timezone

from enrollments.models import VerificationStatus
from enrollments.services.verification import (
    certificate_verify,
    certificates_due_for_check,
    certificates_recheck_due,
    certificates_verify,
)
from monitoring.models import PartnerRequestLog
from partners import credly
from partners.breakers import breaker_state, reset_breakers
from tests.factories import make_certificate, make_course, make_enrollment, make_student, partner

BADGE = "0b7a1f3c-5d2e-4a6b-9c8d-7e6f5a4b3c2d"
ASSERTION_URL = f"https://api.credly.com/v1/obi/v2/badge_assertions/{BADGE}"
EMAIL = "Maria.Lopez@Example.org"
SALT = "a1b2c3d4e5"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_client(monkeypatch):
    """Credly's client as the service builds it, without sleeping between retries."""
    reset_breakers()
    real = credly.assertion_client

    def quick(**kwargs):
        client = real(**kwargs)
        client.sleep = lambda seconds: None
        return client

    monkeypatch.setattr(credly, "assertion_client", quick)
    yield
    reset_breakers()


def certificate(
    verification_url=f"https://www.credly.com/badges/{BADGE}/public_url", *, slug="certiport", **kw
):
    student = make_student(email=f"  {EMAIL} ")
    enrollment = make_enrollment(student=student, course=make_course(partner(slug)))
    return make_certificate(enrollment=enrollment, verification_url=verification_url, **kw)


def hashed(email: str, salt: str | None = SALT) -> dict:
    digest = hashlib.sha256((email + (salt or "")).encode()).hexdigest()
    recipient = {"type": "email", "hashed": True, "identity": f"sha256${digest}"}
    if salt is not None:
        recipient["salt"] = salt
    return recipient


def assertion(recipient: dict, **extra) -> dict:
    """An Open Badges 2.0 assertion in the shape Credly serves."""
    return {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": ASSERTION_URL,
        "recipient": recipient,
        "badge": f"https://api.credly.com/v1/obi/v2/issuers/x/badge_classes/{BADGE}",
        "issuedOn": "2025-03-14T00:00:00.000-05:00",
        "verification": {"type": "HostedBadge"},
        **extra,
    }


def check(cert):
    result = certificate_verify(cert)
    cert.refresh_from_db()
    assert cert.verification_status == result.status
    assert cert.verification_note == result.note
    assert cert.verification_checked_at is not None
    return result


# -- addresses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.credly.com/badges/{BADGE}",
        f"https://www.credly.com/badges/{BADGE}/public_url",
        f"https://credly.com/badges/{BADGE.upper()}/linked_in_profile",
        f"https://api.credly.com/v1/obi/v2/badge_assertions/{BADGE}",
        f"https://www.youracclaim.com/badges/{BADGE}",
    ],
)
def test_badge_id_is_read_from_every_credly_badge_address(url):
    assert credly.badge_id(url) == BADGE


@pytest.mark.parametrize(
    "url",
    [
        "https://www.credly.com/users/maria-lopez/badges",
        f"https://credly.com.evil.example/badges/{BADGE}",
        f"https://validation.hsi.com/badges/{BADGE}",
    ],
)
def test_other_addresses_name_no_badge(url):
    assert credly.badge_id(url) is None


# -- Credly's answers ---------------------------------------------------------------------


@responses.activate
def test_hashed_recipient_with_salt_matching_the_student_is_verified():
    # Credly hashes the lower-cased address; the student's is stored in mixed case.
    responses.get(ASSERTION_URL, json=assertion(hashed(EMAIL.lower())))
    cert = certificate()

    result = check(cert)

    assert result.status == VerificationStatus.VERIFIED
    assert cert.verified_at == cert.verification_checked_at
    assert BADGE in cert.verification_note and "2025-03-14" in cert.verification_note
    log = PartnerRequestLog.objects.get()
    assert (log.partner.slug, log.operation, log.url) == (
        "certiport",
        "verify_credential",
        ASSERTION_URL,
    )
    assert log.enrollment_id == cert.enrollment_id


@responses.activate
def test_hashed_recipient_without_salt_is_the_bare_address():
    responses.get(ASSERTION_URL, json=assertion(hashed(EMAIL.lower(), salt=None)))

    assert check(certificate()).status == VerificationStatus.VERIFIED


@responses.activate
def test_plain_recipient_matches_trimmed_and_ignoring_case():
    recipient = {"type": "email", "hashed": False, "identity": " maria.lopez@EXAMPLE.org"}
    responses.get(ASSERTION_URL, json=assertion(recipient))

    assert check(certificate()).status == VerificationStatus.VERIFIED


@responses.activate
def test_someone_elses_hashed_badge_is_a_mismatch():
    responses.get(ASSERTION_URL, json=assertion(hashed("someone.else@example.org")))
    cert = certificate()

    result = check(cert)

    assert result.status == VerificationStatus.MISMATCH
    assert cert.verified_at is None
    assert "someone else" in cert.verification_note


@responses.activate
def test_the_right_hash_with_the_wrong_salt_is_a_mismatch():
    recipient = hashed(EMAIL.lower()) | {"salt": "another-salt"}
    responses.get(ASSERTION_URL, json=assertion(recipient))

    assert check(certificate()).status == VerificationStatus.MISMATCH


@responses.activate
def test_someone_elses_plain_badge_is_a_mismatch_naming_its_recipient():
    recipient = {"type": "email", "hashed": False, "identity": "other@example.org"}
    responses.get(ASSERTION_URL, json=assertion(recipient))
    cert = certificate()

    assert check(cert).status == VerificationStatus.MISMATCH
    assert "other@example.org" in cert.verification_note


@responses.activate
def test_a_revoked_badge_is_revoked_with_the_issuers_reason():
    responses.get(
        ASSERTION_URL,
        json=assertion(
            hashed(EMAIL.lower()), revoked=True, revocationReason="Exam result invalidated"
        ),
    )
    cert = certificate(verified_at=timezone.now() - timedelta(days=40))
    found_good = cert.verified_at

    assert check(cert).status == VerificationStatus.REVOKED
    assert cert.verification_note == "Revoked by the issuer: Exam result invalidated"
    assert cert.verified_at == found_good  # when it was last good, not now


@responses.activate
def test_a_revoked_badge_answered_410_gone_is_revoked():
    responses.get(
        ASSERTION_URL, status=410, json={"revoked": True, "revocationReason": "Issued in error"}
    )
    cert = certificate()

    assert check(cert).status == VerificationStatus.REVOKED
    assert "Issued in error" in cert.verification_note


@responses.activate
def test_a_badge_past_its_expiry_is_expired():
    expired = (timezone.now() - timedelta(days=1)).isoformat()
    responses.get(ASSERTION_URL, json=assertion(hashed(EMAIL.lower()), expires=expired))
    cert = certificate()

    assert check(cert).status == VerificationStatus.EXPIRED
    assert cert.verified_at is None


@responses.activate
def test_a_badge_expiring_later_is_verified_and_says_when():
    later = timezone.now() + timedelta(days=400)
    responses.get(ASSERTION_URL, json=assertion(hashed(EMAIL.lower()), expires=later.isoformat()))
    cert = certificate()

    assert check(cert).status == VerificationStatus.VERIFIED
    assert later.date().isoformat() in cert.verification_note


@responses.activate
def test_an_unknown_badge_404_failed_saying_so():
    responses.get(ASSERTION_URL, status=404, json={"error": "not found"})
    cert = certificate()

    assert check(cert).status == VerificationStatus.FAILED
    assert "no badge" in cert.verification_note and "404" in cert.verification_note


@responses.activate
def test_a_server_error_fails_and_keeps_when_it_was_last_found_good():
    responses.get(ASSERTION_URL, status=503, body="upstream down")
    last_good = timezone.now() - timedelta(days=35)
    cert = certificate(verified_at=last_good, verification_status=VerificationStatus.VERIFIED)

    assert check(cert).status == VerificationStatus.FAILED
    assert cert.verified_at == last_good
    assert "503" in cert.verification_note
    assert len(responses.calls) == 2  # retried once (CREDLY_MAX_ATTEMPTS)


@responses.activate
def test_a_timeout_fails_and_keeps_when_it_was_last_found_good():
    responses.get(ASSERTION_URL, body=requests.ReadTimeout("read timed out"))
    last_good = timezone.now() - timedelta(days=35)
    cert = certificate(verified_at=last_good)

    assert check(cert).status == VerificationStatus.FAILED
    assert cert.verified_at == last_good
    assert "no answer within" in cert.verification_note


@responses.activate
def test_an_answer_that_is_not_json_fails():
    responses.get(ASSERTION_URL, body="<html>Credly is down for maintenance</html>")
    cert = certificate()

    assert check(cert).status == VerificationStatus.FAILED
    assert "not valid JSON" in cert.verification_note


@responses.activate
def test_json_that_is_not_an_assertion_fails():
    responses.get(ASSERTION_URL, json={"data": []})
    cert = certificate()

    assert check(cert).status == VerificationStatus.FAILED
    assert "not an Open Badges assertion" in cert.verification_note


@responses.activate
def test_an_expiry_that_is_no_date_fails_rather_than_verifying():
    responses.get(ASSERTION_URL, json=assertion(hashed(EMAIL.lower()), expires="soon"))

    assert check(certificate()).status == VerificationStatus.FAILED


# -- links nobody can check by program -----------------------------------------------------


@responses.activate
@pytest.mark.parametrize(
    ("slug", "url"),
    [
        ("hsi", "https://otis.hsi.com/validate?card=HSI-123456"),
        ("careersafe", "https://www.careersafeonline.com/verify/OSHA-10-998877"),
    ],
)
def test_other_partners_links_are_recorded_for_a_person_never_verified(slug, url):
    cert = certificate(url, slug=slug)

    result = check(cert)

    assert result.status == VerificationStatus.RECORDED
    assert url in cert.verification_note and "person" in cert.verification_note
    assert cert.verified_at is None
    assert len(responses.calls) == 0  # nothing was fetched


def test_a_certificate_without_any_link_failed_saying_why():
    cert = certificate("")

    assert check(cert).status == VerificationStatus.FAILED
    assert "no verification URL" in cert.verification_note


@responses.activate
def test_a_credly_badge_in_the_certificate_url_is_checked_when_the_verification_url_is_not():
    responses.get(ASSERTION_URL, json=assertion(hashed(EMAIL.lower())))
    cert = certificate(
        "https://www.certiport.com/portal/transcript", url=f"https://www.credly.com/badges/{BADGE}"
    )

    assert check(cert).status == VerificationStatus.VERIFIED


# -- bulk and scheduled -------------------------------------------------------------------


@responses.activate
def test_a_bulk_run_checks_each_and_counts_every_status_without_raising(monkeypatch):
    other = "11111111-2222-4333-8444-555555555555"
    responses.get(ASSERTION_URL, json=assertion(hashed(EMAIL.lower())))
    responses.get(
        f"https://api.credly.com/v1/obi/v2/badge_assertions/{other}",
        body=requests.ConnectionError("connection refused"),
    )
    good = certificate()
    unreachable = certificate(f"https://www.credly.com/badges/{other}")
    recorded = certificate("https://otis.hsi.com/validate?card=1", slug="hsi")

    summary = certificates_verify([good.pk, unreachable.pk, recorded.pk])

    assert dict(summary.counts) == {"verified": 1, "failed": 1, "recorded": 1}
    assert str(summary) == "3 certificate(s) checked: 1 verified, 1 recorded, 1 failed."
    unreachable.refresh_from_db()
    assert "could not reach" in unreachable.verification_note


def test_a_bulk_run_survives_an_unexpected_error(monkeypatch):
    cert = certificate()

    def broken(*args, **kwargs):
        raise KeyError("bug")

    monkeypatch.setattr("enrollments.services.verification._assertion", broken)
    summary = certificates_verify([cert.pk])

    cert.refresh_from_db()
    assert dict(summary.counts) == {"failed": 1}
    assert cert.verification_status == VerificationStatus.FAILED
    assert "KeyError" in cert.verification_note


@responses.activate
def test_the_recheck_takes_only_credly_badges_due_and_never_the_ones_a_person_handles():
    responses.get(ASSERTION_URL, json=assertion(hashed(EMAIL.lower())))
    now = timezone.now()
    never = certificate()
    stale = certificate(
        verification_status=VerificationStatus.VERIFIED,
        verification_checked_at=now - timedelta(days=31),
    )
    fresh = certificate(
        verification_status=VerificationStatus.VERIFIED,
        verification_checked_at=now - timedelta(days=2),
    )
    revoked = certificate(verification_status=VerificationStatus.REVOKED)
    hsi = certificate("https://otis.hsi.com/validate?card=1", slug="hsi")

    assert list(certificates_due_for_check()) == [never, stale]
    summary = certificates_recheck_due()

    assert dict(summary.counts) == {"verified": 2}
    for cert in (fresh, revoked, hsi):
        before = cert.verification_checked_at
        cert.refresh_from_db()
        assert cert.verification_checked_at == before


@responses.activate
def test_credly_down_opens_credlys_breaker_never_the_issuing_partners(settings):
    settings.PARTNER_BREAKER_FAIL_MAX = 2
    responses.get(ASSERTION_URL, status=503)
    first, second = certificate(), certificate()

    certificates_verify([first.pk])  # two attempts, two failures: Credly's breaker opens
    summary = certificates_verify([second.pk])

    assert breaker_state(credly.BREAKER) == "open"
    assert breaker_state("certiport") == "closed"
    assert len(responses.calls) == 2  # the second check sent nothing
    second.refresh_from_db()
    assert dict(summary.counts) == {"failed": 1}
    assert "circuit breaker is open" in second.verification_note


@responses.activate
def test_the_command_checks_the_due_badges_or_all_links_of_one_partner(capsys):
    responses.get(ASSERTION_URL, json=assertion(hashed(EMAIL.lower())))
    credly_badge = certificate()
    hsi = certificate("https://otis.hsi.com/validate?card=1", slug="hsi")

    call_command("verify_certificates")
    assert capsys.readouterr().out.strip() == "1 certificate(s) checked: 1 verified."

    call_command("verify_certificates", "--all", "--partner", "hsi")
    out = capsys.readouterr().out
    assert f"#{hsi.pk} recorded: " in out and out.endswith(
        "1 certificate(s) checked: 1 recorded.\n"
    )
    credly_badge.refresh_from_db()
    assert credly_badge.verification_status == VerificationStatus.VERIFIED
    assert len(responses.calls) == 1

    with pytest.raises(CommandError, match="No partner 'nope'"):
        call_command("verify_certificates", "--partner", "nope")


@responses.activate
def test_the_daily_job_runs_the_recheck_through_celery(settings):
    from config.celery import app

    responses.get(ASSERTION_URL, json=assertion(hashed(EMAIL.lower())))
    cert = certificate()
    entry = settings.CELERY_BEAT_SCHEDULE["enrollments-recheck-credentials"]

    import enrollments.tasks  # noqa: F401 (registers the tasks)

    result = app.tasks[entry["task"]].apply()

    assert result.get() == {"verified": 1}
    cert.refresh_from_db()
    assert cert.verification_status == VerificationStatus.VERIFIED
