""" "Check credentials" in the Certificate admin, through the test client: the action
checks the selection (Credly answered by `responses` mocks), ends with one summary
message, and the list and the certificate page show what each check found."""

import hashlib

import pytest
import responses
from django.contrib.auth.models import Permission, User

from enrollments.models import VerificationStatus
from partners.breakers import reset_breakers
from tests.factories import make_certificate, make_course, make_enrollment, make_student, partner

CHANGELIST = "/admin/enrollments/certificate/"
GOOD = "0b7a1f3c-5d2e-4a6b-9c8d-7e6f5a4b3c2d"
REVOKED = "11111111-2222-4333-8444-555555555555"
OBI = "https://api.credly.com/v1/obi/v2/badge_assertions/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def breakers():
    reset_breakers()
    yield
    reset_breakers()


def staff(*codenames: str) -> User:
    user = User.objects.create_user(f"staff{User.objects.count()}", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="enrollments", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)


def certificate(url: str, slug: str = "certiport", email: str = "ana@example.org"):
    enrollment = make_enrollment(
        student=make_student(email=email), course=make_course(partner(slug))
    )
    return make_certificate(enrollment=enrollment, verification_url=url)


def recipient(email: str) -> dict:
    digest = hashlib.sha256((email + "pepper").encode()).hexdigest()
    return {"type": "email", "hashed": True, "salt": "pepper", "identity": f"sha256${digest}"}


@responses.activate
def test_check_credentials_checks_the_selection_and_says_what_it_found(client):
    responses.get(OBI + GOOD, json={"recipient": recipient("ana@example.org")})
    responses.get(
        OBI + REVOKED,
        json={
            "recipient": recipient("ana@example.org"),
            "revoked": True,
            "revocationReason": "Candidate misconduct",
        },
    )
    good = certificate(f"https://www.credly.com/badges/{GOOD}")
    revoked = certificate(f"https://www.credly.com/badges/{REVOKED}/public_url")
    hsi = certificate("https://otis.hsi.com/validate?card=77", slug="hsi")
    untouched = certificate(f"https://www.credly.com/badges/{GOOD}")
    client.force_login(staff("view_certificate", "change_certificate"))

    response = client.post(
        CHANGELIST,
        {"action": "check_credentials", "_selected_action": [good.pk, revoked.pk, hsi.pk]},
        follow=True,
    )

    shown = [(str(m), m.level_tag) for m in response.context["messages"]]
    assert shown == [
        (
            "3 certificate(s) checked: 1 verified, 1 revoked, 1 recorded. "
            "See each certificate's verification note.",
            "warning",
        )
    ]
    for cert, status in (
        (good, VerificationStatus.VERIFIED),
        (revoked, VerificationStatus.REVOKED),
        (hsi, VerificationStatus.RECORDED),
        (untouched, VerificationStatus.UNCHECKED),
    ):
        cert.refresh_from_db()
        assert cert.verification_status == status
    assert good.verified_at is not None and revoked.verified_at is None

    # The list shows each result with its note, and filters by it.
    page = client.get(CHANGELIST).content.decode()
    assert "Revoked by the issuer: Candidate misconduct" in page
    assert "Verification link recorded" in page
    revoked_only = client.get(CHANGELIST, {"verification_status": "revoked"})
    assert [c.pk for c in revoked_only.context["cl"].result_list] == [revoked.pk]

    # The certificate's page shows the check, read-only.
    page = client.get(f"{CHANGELIST}{revoked.pk}/change/").content.decode()
    assert "Candidate misconduct" in page
    assert 'name="verification_status"' not in page


@responses.activate
def test_an_all_good_check_is_a_success_message(client):
    responses.get(OBI + GOOD, json={"recipient": recipient("ana@example.org")})
    good = certificate(f"https://www.credly.com/badges/{GOOD}")
    client.force_login(staff("view_certificate", "change_certificate"))

    response = client.post(
        CHANGELIST, {"action": "check_credentials", "_selected_action": [good.pk]}, follow=True
    )

    [message] = response.context["messages"]
    assert (str(message), message.level_tag) == ("1 certificate(s) checked: 1 verified.", "success")


def test_staff_who_may_only_view_certificates_cannot_check_them(client):
    cert = certificate(f"https://www.credly.com/badges/{GOOD}")
    client.force_login(staff("view_certificate"))

    client.post(CHANGELIST, {"action": "check_credentials", "_selected_action": [cert.pk]})

    cert.refresh_from_db()
    assert cert.verification_status == VerificationStatus.UNCHECKED
    assert cert.verification_checked_at is None
