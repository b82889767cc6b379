"""The admin is not a second write path: no form of any registered admin (add or change,
inlines included) writes a partner-derived field; staff record outcomes through the
"Record outcome" page, which applies a MANUAL event like any other channel."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from enrollments.admin import PARTNER_DERIVED
from enrollments.models import (
    Certificate,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    PartnerAccount,
)
from tests.admin_rows import make_row
from tests.factories import make_course, make_enrollment, partner

pytestmark = pytest.mark.django_db
REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def editable_fields(model_admin, request, obj) -> dict:
    """model → the fields a POST of this admin page can write, main form and inlines."""
    form = model_admin.get_form(request, obj, change=obj is not None)
    fields = {model_admin.model: set(form.base_fields)}
    for inline in model_admin.get_inline_instances(request, obj):
        formset = inline.get_formset(request, obj)
        fields.setdefault(inline.model, set()).update(formset.form.base_fields)
    return fields


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTRY, ids=[m._meta.label for m, _ in REGISTRY]
)
def test_no_admin_form_writes_a_partner_derived_field(admin_user, model, model_admin):
    request = RequestFactory().get("/")
    request.user = admin_user
    pages = [make_row(model)]
    if model_admin.has_add_permission(request):
        pages.append(None)
    for obj in pages:
        for written_model, fields in editable_fields(model_admin, request, obj).items():
            assert not fields & set(PARTNER_DERIVED.get(written_model, ())), (
                f"{model._meta.label} {'add' if obj is None else 'change'} form writes "
                f"{sorted(fields & set(PARTNER_DERIVED[written_model]))} of "
                f"{written_model._meta.label}"
            )


def test_the_partner_derived_fields_are_the_ones_the_models_have():
    for model, fields in PARTNER_DERIVED.items():
        for name in fields:
            model._meta.get_field(name)  # a typo would make the walk above prove nothing
    assert {Enrollment, Certificate, PartnerAccount} <= set(PARTNER_DERIVED)


def outcome_url(enrollment) -> str:
    return reverse("admin:enrollments_enrollment_outcome", args=[enrollment.pk])


def test_record_outcome_from_the_enrollment_page(
    admin_client, admin_user, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    enrollment = make_enrollment(course=make_course(partner("hsi"), validity_months=24))
    page = admin_client.get(reverse("admin:enrollments_enrollment_change", args=[enrollment.pk]))
    assert outcome_url(enrollment) in page.content.decode()  # the button

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            outcome_url(enrollment),
            {
                "certificate_number": "HSI-CARD-9",
                "issued_on": "2026-11-20",
                "score": "92",
                "passed": "yes",
                "evidence": SimpleUploadedFile("card.pdf", b"%PDF-1.7 card"),
            },
        )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.passed is True
    certificate = Certificate.objects.get(enrollment=enrollment)
    assert certificate.number == "HSI-CARD-9" and certificate.file.read() == b"%PDF-1.7 card"
    assert certificate.expires_at.year == 2028  # the course's 24 months
    record = EnrollmentEvent.objects.get(enrollment=enrollment)
    assert (record.source, record.recorded_by) == ("manual", admin_user)
    assert len(mail.outbox) == 2  # completed, certificate
    page = admin_client.get(reverse("admin:enrollments_enrollment_change", args=[enrollment.pk]))
    assert f"certificate.issued (manual by {admin_user.username})" in page.content.decode()


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({}, "Say what happened"),
        ({"completed": "on", "passed": "no"}, "not a completion"),
        ({"certificate_number": "C-1", "passed": "no"}, "earns no certificate"),
        ({"evidence": SimpleUploadedFile("x.pdf", b"%PDF-1")}, "give its number"),
        (
            {"certificate_number": "C-1", "evidence": SimpleUploadedFile("x.exe", b"MZ")},
            "must be a PDF",
        ),
    ],
)
def test_an_outcome_that_cannot_be_is_a_form_error(admin_client, form, error):
    enrollment = make_enrollment(status=EnrollmentStatus.ACTIVE)
    response = admin_client.post(outcome_url(enrollment), form)
    assert response.status_code == 200 and error in response.content.decode()
    assert not EnrollmentEvent.objects.exists()


def test_a_cancelled_enrollment_takes_no_outcome_from_the_page(admin_client):
    enrollment = make_enrollment(status=EnrollmentStatus.CANCELLED)
    response = admin_client.post(outcome_url(enrollment), {"completed": "on"})
    assert "A cancelled enrollment takes no outcome." in response.content.decode()
    assert not EnrollmentEvent.objects.exists()


def test_view_only_staff_cannot_record_an_outcome(client):
    user = User.objects.create_user("viewer", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client.force_login(user)
    enrollment = make_enrollment(status=EnrollmentStatus.ACTIVE)
    page = client.get(reverse("admin:enrollments_enrollment_change", args=[enrollment.pk]))
    assert page.status_code == 200 and outcome_url(enrollment) not in page.content.decode()
    assert client.get(outcome_url(enrollment)).status_code == 403
    assert client.post(outcome_url(enrollment), {"completed": "on"}).status_code == 403
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE


def test_mark_a_selection_completed_with_one_summary(admin_client):
    course = make_course(partner("jri"))
    done = [make_enrollment(course=course, status="active") for _ in range(2)]
    cancelled = make_enrollment(course=course, status=EnrollmentStatus.CANCELLED)
    response = admin_client.post(
        reverse("admin:enrollments_enrollment_changelist"),
        {
            "action": "record_outcome",
            "_selected_action": [e.pk for e in [*done, cancelled]],
            "apply": "1",
            "completed": "on",
            "completed_on": "2026-11-20",
        },
        follow=True,
    )
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("Outcome recorded for 2 of 3 enrollment(s). Not recorded: ")
    assert f"#{cancelled.pk}</a> (A cancelled enrollment takes no outcome.)" in message
    assert set(Enrollment.objects.filter(pk__in=[e.pk for e in done]).values_list("status")) == {
        (EnrollmentStatus.COMPLETED,)
    }
