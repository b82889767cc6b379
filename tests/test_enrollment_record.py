"""The enrollment's page as a record (enrollments/admin_record.py): its buttons post the
admin's own actions from the page, with the same permission, outside any transaction,
each ending with one message; a button is offered only where the enrollment's state
allows it; the one timeline links each webhook delivery. The browser tests
(tests/browser/test_enrollment_page.py) walk the same page in Chromium."""

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from enrollments.models import EnrollmentStatus
from tests.factories import make_delivery, make_enrollment

PREFIX = "CHANGE_FORM-action"


def page(enrollment) -> str:
    return reverse("admin:enrollments_enrollment_change", args=[enrollment.pk])


def staff(*codenames: str) -> User:
    user = User.objects.create_user(f"staff{User.objects.count()}", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)


def press(client, enrollment, action: str):
    return client.post(page(enrollment), {PREFIX: action, "_selected_action": enrollment.pk})


@pytest.fixture
def sync_calls(monkeypatch):
    """enrollment_sync_progress replaced by a recorder of its calls and of whether a
    database transaction was open around it."""
    calls = []

    def record(*, enrollment):
        calls.append((enrollment.pk, connection.in_atomic_block))

    monkeypatch.setattr("enrollments.services.enrollment_sync_progress", record)
    return calls


def buttons(response) -> list[str]:
    return [b.action for b in response.context["record"]["buttons"]]


@pytest.mark.django_db
def test_a_button_runs_its_action_for_staff_who_may_change_enrollments(client, sync_calls):
    enrollment = make_enrollment(status=EnrollmentStatus.ACTIVE, external_enrollment_id="E-1")
    client.force_login(staff("view_enrollment", "change_enrollment"))
    assert "sync_now" in buttons(client.get(page(enrollment)))

    response = press(client, enrollment, "sync_now")

    assert response.status_code == 302 and response["Location"] == page(enrollment)
    assert [pk for pk, _ in sync_calls] == [enrollment.pk]
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Synced 1 enrollment(s)."]


@pytest.mark.django_db(transaction=True)
def test_a_button_calls_the_partner_outside_any_transaction(admin_client, sync_calls):
    """Django runs a change form's POST in a transaction; a partner call inside it would
    hold the database (on SQLite the embedded simulator could not write its answer)."""
    enrollment = make_enrollment(status=EnrollmentStatus.ACTIVE, external_enrollment_id="E-1")
    press(admin_client, enrollment, "sync_now")
    assert sync_calls == [(enrollment.pk, False)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "codenames",
    [("view_enrollment",), ("view_enrollment", "add_enrollment", "delete_enrollment")],
    ids=["view-only", "all-but-change"],
)
def test_staff_without_change_get_no_button_and_a_forged_press_is_refused(
    client, sync_calls, codenames
):
    enrollment = make_enrollment(status=EnrollmentStatus.ACTIVE, external_enrollment_id="E-1")
    client.force_login(staff(*codenames))
    shown = client.get(page(enrollment))
    assert shown.status_code == 200 and buttons(shown) == []
    assert not shown.context["record"]["can_record_outcome"]

    for action in ("sync_now", "cancel", "retry_provisioning", "open_launch_url"):
        assert press(client, enrollment, action).status_code == 403
    assert sync_calls == []
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE


@pytest.mark.django_db
def test_a_press_naming_another_enrollment_is_refused(admin_client, sync_calls):
    enrollment = make_enrollment(status=EnrollmentStatus.ACTIVE, external_enrollment_id="E-1")
    other = make_enrollment(status=EnrollmentStatus.ACTIVE, external_enrollment_id="E-2")
    response = admin_client.post(
        page(enrollment), {PREFIX: "sync_now", "_selected_action": other.pk}
    )
    assert response.status_code == 400 and sync_calls == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "linked", "offered"),
    [
        ("active", True, ["open_launch_url", "sync_now", "cancel"]),
        ("completed", True, ["open_launch_url", "sync_now"]),
        ("requested", False, ["retry_provisioning", "cancel"]),
        ("failed", False, ["retry_provisioning", "cancel"]),
        ("cancelled", True, []),
    ],
)
def test_buttons_follow_the_enrollment_state(admin_client, status, linked, offered):
    enrollment = make_enrollment(
        status=status, external_enrollment_id="E-1" if linked else "", last_error="Timed out"
    )
    response = admin_client.get(page(enrollment))
    assert buttons(response) == offered
    assert response.context["record"]["can_record_outcome"]  # Record outcome, always


@pytest.mark.django_db
def test_the_last_error_is_said_at_the_top_with_what_happens_next(admin_client):
    enrollment = make_enrollment(
        status=EnrollmentStatus.FAILED, last_error="HSI refused: course retired", attempts=3
    )
    html = admin_client.get(page(enrollment)).content.decode()
    record = html[: html.index('id="enrollment_form"')]
    assert "HSI refused: course retired" in record
    assert "No further automatic try: fix the cause, then press Retry." in record


@pytest.mark.django_db
def test_one_timeline_with_each_webhook_delivery_linked(admin_client):
    delivery = make_delivery()
    enrollment = delivery.event.enrollment
    html = admin_client.get(page(enrollment)).content.decode()
    assert html.count(">Timeline<") == 1
    link = reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk])
    assert f'href="{link}"' in html
    assert "Webhook progress.updated (Accepted)" in html
