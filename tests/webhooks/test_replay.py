"""Staff replay, for every partner: a handler error, then the fix, then reprocessing through
the admin action (posted to the changelist, as staff do) or `manage.py replay_webhooks`."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from tests.webhooks.conftest import enrollment_for, event_body
from webhooks import processing
from webhooks.models import EventStatus, WebhookEvent

CHANGELIST = "admin:webhooks_webhookevent_changelist"


@pytest.fixture
def failed_event(sender, enrollment, monkeypatch):
    """An event whose handler crashed; the crash is then fixed."""

    def crash(event):
        raise RuntimeError("handler bug")

    monkeypatch.setattr(processing, "enrollment_apply_event", crash)
    eid = enrollment.external_enrollment_id
    sender.post(event_body("progress.updated", eid, progress_percent=55))
    monkeypatch.undo()
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.FAILED
    return event


def reprocess(client, *events):
    return client.post(
        reverse(CHANGELIST),
        {"action": "reprocess", "_selected_action": [e.pk for e in events]},
        follow=True,
    )


def offered_actions(response) -> list[str]:
    form = response.context["action_form"]  # None when no action is allowed
    return [value for value, _ in form.fields["action"].choices] if form else []


def test_admin_action_reprocesses_a_failed_event(admin_client, failed_event, enrollment):
    response = reprocess(admin_client, failed_event)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Reprocessed 1 events: 1 processed."]
    failed_event.refresh_from_db()
    assert failed_event.status == EventStatus.PROCESSED
    assert failed_event.last_error == ""
    assert failed_event.traceback == ""
    assert failed_event.attempts == 2
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 55


def test_admin_action_is_offered_on_the_changelist(admin_client, failed_event):
    assert "reprocess" in offered_actions(admin_client.get(reverse(CHANGELIST)))


def test_replay_command_reprocesses_failed_events(failed_event, enrollment, slug):
    out = StringIO()
    call_command(
        "replay_webhooks", "--partner", slug, "--status", "failed", "--since", "1h", stdout=out
    )
    assert out.getvalue().strip() == "Reprocessed 1 events: 1 processed."
    failed_event.refresh_from_db()
    assert failed_event.status == EventStatus.PROCESSED
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 55


def test_replay_command_filters(failed_event, slug, partner_sender):
    from tests.webhooks.conftest import other_partner

    other = other_partner(slug)
    out = StringIO()
    call_command("replay_webhooks", "--partner", other, stdout=out)
    assert out.getvalue().strip() == "Reprocessed 0 events: nothing."
    call_command("replay_webhooks", "--status", "deferred,ignored", stdout=out)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    call_command("replay_webhooks", "--since", tomorrow, stdout=out)
    call_command("replay_webhooks", "--until", "2020-01-01T00:00:00Z", stdout=out)
    failed_event.refresh_from_db()
    assert failed_event.status == EventStatus.FAILED
    assert failed_event.attempts == 1

    out = StringIO()
    call_command("replay_webhooks", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "1 events would be reprocessed."
    failed_event.refresh_from_db()
    assert failed_event.status == EventStatus.FAILED


def test_staff_who_may_only_view_events_cannot_reprocess(client, failed_event):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))
    client.force_login(viewer)

    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert "reprocess" not in offered_actions(response)
    reprocess(client, failed_event)
    failed_event.refresh_from_db()
    assert failed_event.status == EventStatus.FAILED


@pytest.mark.parametrize("slug", ["hsi"])
def test_deferred_event_reprocessed_once_its_enrollment_exists(admin_client, sender):
    sender.post(event_body("progress.updated", "HSI-NEW-1", progress_percent=20))
    event = WebhookEvent.objects.get()
    assert event.status == EventStatus.DEFERRED

    response = reprocess(admin_client, event)
    assert [str(m) for m in response.context["messages"]] == ["Reprocessed 1 events: 1 deferred."]
    enrollment = enrollment_for("hsi", "HSI-NEW-1")
    reprocess(admin_client, event)
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 20


@pytest.mark.parametrize("bad", [["--status", "lost"], ["--partner", "acme"], ["--since", "soon"]])
def test_replay_command_refuses_bad_arguments(db, bad):
    with pytest.raises(CommandError):
        call_command("replay_webhooks", *bad)
