"""Admin actions ask for the model permission the REST API asks for the same work.

Creating enrollments (enrol students, enrol a cohort) needs `enrollments.add_enrollment`,
as POST /api/v1/enrollments/ does; acting on an enrollment (retry, sync, cancel, open the
course as the student) needs `enrollments.change_enrollment`, as the API's launch, sync
and cancel do. The simulator's and the webhooks' actions need `change` on their model.
Staff without it are not offered the action, and a forged POST of it runs nothing.
Everything here goes through the admin with the test client, for every action.
"""

from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.contrib.auth.models import Permission, User
from django.test import RequestFactory
from django.urls import reverse

from enrollments.models import Certificate, Cohort, Enrollment, EnrollmentStatus, Student
from enrollments.services.verification import CheckSummary
from partners.models import PartnerCourse
from partners.simulator.models import SimEnrollment
from tests.admin_rows import make_row
from tests.factories import make_cohort, make_course, make_enrollment
from webhooks.models import WebhookEvent

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


@dataclass(frozen=True)
class Guard:
    permission: str  # what the action asks for
    work: str  # the function that does the action's work, replaced by a recorder here
    answer: object = None  # what that function returns
    form: dict = field(default_factory=dict)  # the intermediate page's answers, if any
    # (a callable value is called when posted, for a row the answer names)


ENROL_FORM = {"apply": "1", "funding_source": "wioa"}  # plus the course, added per test

ACTIONS = {
    (Enrollment, "retry_provisioning"): Guard(
        "enrollments.change_enrollment", "enrollments.services.enrollment_retry"
    ),
    (Enrollment, "sync_now"): Guard(
        "enrollments.change_enrollment", "enrollments.services.enrollment_sync_progress"
    ),
    (Enrollment, "cancel"): Guard(
        "enrollments.change_enrollment", "enrollments.services.enrollment_cancel"
    ),
    (Enrollment, "open_launch_url"): Guard(
        "enrollments.change_enrollment",
        "enrollments.services.enrollment_launch_url",
        answer=SimpleNamespace(url="https://partner.example/launch"),
    ),
    (Enrollment, "record_outcome"): Guard(
        "enrollments.change_enrollment",
        "enrollments.admin_outcomes.enrollments_record_outcome",
        answer=[],
        form={"apply": "1", "completed": "on"},
    ),
    (Student, "enroll_students"): Guard(
        "enrollments.add_enrollment",
        "enrollments.services.students_enroll",
        answer=[],
        form=ENROL_FORM,
    ),
    (Student, "add_to_cohort"): Guard(
        "enrollments.change_cohort",
        "enrollments.services.cohort_add",
        answer=SimpleNamespace(cohort=SimpleNamespace(pk=1), added=[], already_in=[]),
        form={"apply": "1", "cohort": lambda: make_cohort().pk},  # made when posted
    ),
    (Cohort, "enroll_cohorts"): Guard(
        "enrollments.add_enrollment",
        "enrollments.services.cohort_enroll",
        answer=[],
        form=ENROL_FORM,
    ),
    (SimEnrollment, "advance_25"): Guard(
        "simulator.change_simenrollment", "partners.simulator.state.advance", answer=[]
    ),
    (SimEnrollment, "complete"): Guard(
        "simulator.change_simenrollment", "partners.simulator.state.advance", answer=[]
    ),
    (Certificate, "check_credentials"): Guard(
        "enrollments.change_certificate",
        "enrollments.admin_verification.certificates_verify",
        answer=CheckSummary(),
    ),
    (WebhookEvent, "reprocess"): Guard(
        "webhooks.change_webhookevent",
        "webhooks.admin.events_reprocess",
        answer=Counter(processed=1),
    ),
}
ACTION_IDS = [f"{model.__name__}.{name}" for model, name in ACTIONS]
pytestmark = pytest.mark.django_db


def staff(*perms: Permission) -> User:
    user = User.objects.create_user(f"staff{User.objects.count()}", is_staff=True)
    user.user_permissions.add(*perms)
    return User.objects.get(pk=user.pk)  # no cached permissions


def permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def view_only() -> User:
    return staff(*Permission.objects.filter(codename__startswith="view_"))


def everything_but(dotted: str) -> User:
    return staff(*Permission.objects.exclude(pk=permission(dotted).pk))


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def offered(response) -> list[str]:
    form = response.context["action_form"]  # None when no action is allowed
    return [value for value, _ in form.fields["action"].choices if value] if form else []


@pytest.fixture
def recorder(monkeypatch):
    """Replace an action's work with a recorder of its calls."""

    def replace(guard: Guard) -> list:
        calls = []

        def record(*args, **kwargs):
            calls.append(kwargs or args)
            return guard.answer

        monkeypatch.setattr(guard.work, record)
        return calls

    return replace


def post_action(client, model, name: str, row, form: dict | None = None):
    """The action's POST from the list; with `form`, the intermediate page's answer."""
    data = {"action": name, "_selected_action": [row.pk]}
    if form:
        answers = {key: value() if callable(value) else value for key, value in form.items()}
        data |= {**answers, "course": PartnerCourse.objects.first().pk}
    return client.post(changelist(model), data)


def test_every_action_in_the_admin_has_its_guard_here(db):
    """A new action must say here which permission it needs, so the tests below run it."""
    request = RequestFactory().get("/admin/")
    request.user = User.objects.create_superuser("root")
    found = {
        (model, name)
        for model, model_admin in REGISTRY
        for location in LOCATIONS
        for name in model_admin.get_actions(request, action_location=location)
        if name != "delete_selected"
    }
    assert found == set(ACTIONS)


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTRY, ids=[model._meta.label for model, _ in REGISTRY]
)
def test_view_only_staff_are_offered_no_action(client, model, model_admin):
    client.force_login(view_only())
    row = make_row(model)
    rows = model._default_manager.count()

    page = client.get(changelist(model))
    assert page.status_code == 200
    assert offered(page) == []
    for location in LOCATIONS:
        assert model_admin.get_actions(page.wsgi_request, action_location=location) == {}

    # Django's own delete action, forged: nothing is deleted.
    client.post(changelist(model), {"action": "delete_selected", "_selected_action": [row.pk]})
    client.post(
        changelist(model),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert model._default_manager.count() == rows


@pytest.mark.parametrize("who", [view_only, everything_but], ids=["view-only", "all-but-it"])
@pytest.mark.parametrize(("model", "name"), list(ACTIONS), ids=ACTION_IDS)
def test_staff_without_the_permission_cannot_run_the_action(client, recorder, who, model, name):
    guard = ACTIONS[model, name]
    make_course()
    row = make_row(model)
    calls = recorder(guard)
    user = who() if who is view_only else who(guard.permission)
    assert not user.has_perm(guard.permission)
    client.force_login(user)

    page = client.get(changelist(model))
    assert page.status_code == 200
    assert name not in offered(page)

    # A forged POST of the action, and of its intermediate page's answer: the admin
    # shows the list again (with "No action selected." when other actions exist).
    for form in (None, guard.form):
        response = post_action(client, model, name, row, form)
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert response["Location"] == changelist(model)
            assert "No action selected." in [
                str(m) for m in client.get(changelist(model)).context["messages"]
            ]
        else:
            assert "cl" in response.context  # the list, not the enrol page
    assert calls == []


@pytest.mark.parametrize(("model", "name"), list(ACTIONS), ids=ACTION_IDS)
def test_the_permission_the_api_asks_for_is_enough(client, recorder, model, name):
    guard = ACTIONS[model, name]
    make_course()
    row = make_row(model)
    calls = recorder(guard)
    meta = model._meta
    client.force_login(
        staff(permission(f"{meta.app_label}.view_{meta.model_name}"), permission(guard.permission))
    )

    assert name in offered(client.get(changelist(model)))
    response = post_action(client, model, name, row)

    assert response.status_code in (200, 302)
    if guard.form:
        assert calls == []  # the first POST shows the intermediate page's form
        assert response.status_code == 200 and "cl" not in response.context
        assert response.context["form"].fields
        post_action(client, model, name, row, guard.form)
    assert len(calls) == 1


def test_view_only_staff_cannot_cancel_an_enrollment(client):
    enrollment = make_enrollment(status=EnrollmentStatus.ACTIVE)
    client.force_login(view_only())

    client.post(changelist(Enrollment), {"action": "cancel", "_selected_action": [enrollment.pk]})

    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE


def test_view_only_staff_cannot_enrol_students(client):
    course = make_course()
    student = make_row(Student)
    client.force_login(view_only())

    client.post(
        changelist(Student),
        {
            "action": "enroll_students",
            "_selected_action": [student.pk],
            "apply": "1",
            "course": course.pk,
            "funding_source": "wioa",
        },
    )

    assert not Enrollment.objects.exists()
