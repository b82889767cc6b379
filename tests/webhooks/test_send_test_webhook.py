"""`manage.py send_test_webhook` (over HTTP to the live test server) and the Partner
admin's "Send a test webhook" button: the delivery is stored, its outcome is told as the
rows say, and a real enrollment is never changed by a test event."""

import io
import json
import shlex

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.urls import reverse

from enrollments.models import EnrollmentEvent, EnrollmentStatus, StudentEmail
from partners.models import Partner
from tests.webhooks.conftest import enrollment_for
from webhooks.models import DeliveryVerdict, EventStatus, WebhookDelivery, WebhookEvent
from webhooks.sample_delivery import TEST_ENROLLMENT_PREFIX


def send(*args) -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("send_test_webhook", *args, "--wait", "0", stdout=out)
    except CommandError as exc:
        return out.getvalue() + f"\nERROR: {exc}", exc.returncode
    return out.getvalue(), 0


def test_a_test_id_is_stored_processed_and_closed_as_ignored(live_simulator):
    output, code = send("hsi")

    assert code == 0, output
    delivery = WebhookDelivery.objects.get()
    assert delivery.verdict == DeliveryVerdict.ACCEPTED
    assert delivery.webhook_id.startswith("msg_test_")
    assert json.loads(delivery.body)["test"] is True
    event = delivery.event
    # Processing looked for the enrollment, found none, deferred it; the tool closed it
    # so it is never retried into a failure and an alert.
    assert event.status == EventStatus.IGNORED
    assert event.next_attempt_at is None
    assert "not an enrollment; closed from deferred" in event.last_error
    assert TEST_ENROLLMENT_PREFIX in event.last_error
    assert f"POST {live_simulator.url}/webhooks/partners/hsi/ -> 200" in output
    assert f"delivery {delivery.pk}: accepted, event {event.pk}: ignored" in output
    assert "outcome: ignored: test webhook (send_test_webhook) for TEST-WEBHOOK-" in output
    assert "a test id: no enrollment of ours" in output


def test_a_cancelled_enrollment_is_named_and_left_unchanged(live_simulator):
    """The one kind of real enrollment a test event may name: the write path ignores
    every event for it, and says so."""
    cancelled = enrollment_for("nrf", status=EnrollmentStatus.CANCELLED, progress_percent=20)
    open_one = enrollment_for("nrf", status=EnrollmentStatus.SUBMITTED)  # the newest

    output, code = send("nrf", "--type", "course.completed")

    assert code == 0, output
    event = WebhookEvent.objects.get()
    assert event.payload["data"]["enrollment_id"] == cancelled.external_enrollment_id
    assert event.status == EventStatus.IGNORED
    assert event.enrollment_id == cancelled.pk
    assert "outcome: ignored: the enrollment is cancelled" in output
    assert f"real enrollment {cancelled.pk}" in output
    for enrollment, status in ((cancelled, "cancelled"), (open_one, "submitted")):
        enrollment.refresh_from_db()
        assert enrollment.status == status
    cancelled.refresh_from_db()
    assert (cancelled.progress_percent, cancelled.completed_at) == (20, None)
    assert not EnrollmentEvent.objects.filter(enrollment=open_one).exists()
    assert not StudentEmail.objects.exists()


def test_the_curl_line_sends_nothing_and_is_accepted_when_run(catalogue, client):
    output, code = send("careersafe", "--print-curl", "--type", "certificate.issued")

    assert code == 0, output
    assert not WebhookDelivery.objects.exists()
    line = output.strip().splitlines()[-1]
    words = shlex.split(line)
    assert words[:4] == ["curl", "-sS", "-X", "POST"]
    assert words[4].endswith("/webhooks/partners/careersafe/")
    headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
    body = words[words.index("--data-binary") + 1]
    assert json.loads(body)["type"] == "certificate.issued"
    # What the partner would send with it, through our receiver.
    response = client.post(
        "/webhooks/partners/careersafe/",
        data=body.encode(),
        content_type=headers.pop("content-type"),
        headers=headers,
    )
    assert response.status_code == 200, response.content
    assert WebhookDelivery.objects.get().verdict == DeliveryVerdict.ACCEPTED


def test_posted_to_another_partners_receiver_it_is_refused_and_said_so(live_simulator):
    output, code = send("hsi", "--url", f"{live_simulator.url}/webhooks/partners/nds/")

    assert code == 1
    assert WebhookDelivery.objects.get().verdict == DeliveryVerdict.BAD_SIGNATURE
    assert "outcome: refused (bad_signature)" in output


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ("whsec_", "HSI_WEBHOOK_SECRETS is invalid (secret 1 is empty after whsec_)"),
        ("whsec_" + "A" * 44 + ",nope", "secret 2 does not start with whsec_"),
    ],
)
def test_a_bad_secret_configuration_is_a_clear_error(catalogue, monkeypatch, secrets, message):
    monkeypatch.setenv("HSI_WEBHOOK_SECRETS", secrets)

    output, code = send("hsi")

    assert code == 1
    assert message in output
    assert not WebhookDelivery.objects.exists()


def test_no_secret_at_all_is_a_clear_error(catalogue, settings, monkeypatch):
    settings.PARTNER_SIMULATOR = False  # the simulator would supply its own
    monkeypatch.delenv("NDS_WEBHOOK_SECRETS", raising=False)

    output, code = send("nds")

    assert code == 1
    assert "NDS_WEBHOOK_SECRETS is not set: nds has no webhook secret to sign with" in output


# -- the admin button ----------------------------------------------------------------------


def staff(*perms: str) -> User:
    user = User.objects.create_user(f"staff{User.objects.count()}", is_staff=True)
    for dotted in perms:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)


def send_page(slug: str) -> str:
    return reverse("admin:webhooks_send_test_webhook") + f"?partner={slug}"


def form(slug: str) -> dict:
    return {"partner": slug, "event_type": "progress.updated"}


@pytest.mark.django_db(transaction=True)
def test_the_admin_button_sends_and_links_the_delivery(catalogue, client):
    partner = Partner.objects.get(slug="jri")
    client.force_login(staff("partners.view_partner", "webhooks.change_webhookevent"))

    change = client.get(reverse("admin:partners_partner_change", args=[partner.pk]))
    assert send_page("jri") in change.content.decode()

    page = client.post(send_page("jri"), form("jri"))

    assert page.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.verdict == DeliveryVerdict.ACCEPTED and delivery.partner == partner
    html = page.content.decode()
    assert reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]) in html
    assert reverse("admin:webhooks_webhookevent_change", args=[delivery.event.pk]) in html
    assert page.context["result"].outcome.startswith("ignored: test webhook")
    assert delivery.event.status == EventStatus.IGNORED


@pytest.mark.django_db(transaction=True)
def test_the_admin_button_shows_a_bad_secret_configuration(catalogue, client, monkeypatch):
    monkeypatch.setenv("JRI_WEBHOOK_SECRETS", "whsec_")
    client.force_login(staff("partners.view_partner", "webhooks.change_webhookevent"))

    page = client.post(send_page("jri"), form("jri"))

    assert page.status_code == 200
    assert "JRI_WEBHOOK_SECRETS is invalid" in page.content.decode()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_staff_without_the_permission_get_no_button_and_cannot_send(catalogue, client):
    partner = Partner.objects.get(slug="jri")
    everything_else = Permission.objects.exclude(codename="change_webhookevent")
    user = staff()
    user.user_permissions.add(*everything_else)
    client.force_login(User.objects.get(pk=user.pk))

    change = client.get(reverse("admin:partners_partner_change", args=[partner.pk]))
    assert change.status_code == 200
    assert send_page("jri") not in change.content.decode()
    assert client.get(send_page("jri")).status_code == 403
    assert client.post(send_page("jri"), form("jri")).status_code == 403
    assert not WebhookDelivery.objects.exists()
