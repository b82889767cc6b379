"""The admin across every app: pages open, lists do not query per row, bad input is a
form error and never a 500."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollments.models import Enrollment, EnrollmentStatus, Voucher
from partners.models import Partner, PartnerCourse
from tests.factories import MAKERS, make_course, make_enrollment, make_student

PROJECT_APPS = ("partners", "enrollments", "webhooks", "monitoring")
PROJECT_MODELS = [m for app in PROJECT_APPS for m in apps.get_app_config(app).get_models()]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_project_model_is_in_the_admin():
    missing = [m.__name__ for m in PROJECT_MODELS if m not in admin.site._registry]
    assert missing == []


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda m: m.__name__)
def test_every_page_opens_with_demo_data(admin_client, demo, model):
    if not model.objects.exists():
        MAKERS[model]()
    obj = model.objects.order_by("pk").first()

    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "demo"}).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "12"}).status_code == 200
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    assert admin_client.get(admin_url(model, "history", obj.pk)).status_code == 200
    model_admin = admin.site._registry[model]
    add = admin_client.get(admin_url(model, "add"))
    assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403)


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda m: m.__name__)
def test_changelist_queries_do_not_grow_with_rows(admin_client, catalogue, model):
    make = MAKERS[model]
    make()
    url = admin_url(model, "changelist")
    admin_client.get(url)  # warm caches (content types, sessions)

    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    for _ in range(8):
        make()
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)
    assert response.status_code == 200
    rows = response.context["cl"].result_count
    assert rows >= 9
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def enrollment_form(**fields) -> dict:
    data = {
        "funding_source": "wioa",
        "status": "requested",
        "progress_percent": "0",
        "certificate-TOTAL_FORMS": "0",
        "certificate-INITIAL_FORMS": "0",
        "certificate-MIN_NUM_FORMS": "0",
        "certificate-MAX_NUM_FORMS": "1",
    }
    data.update({k: str(v) for k, v in fields.items()})
    return data


def form_errors(response) -> dict[str, str]:
    """Field → its messages joined, for every error on the main form."""
    assert response.status_code == 200, "expected the form again with errors"
    errors = response.context["adminform"].form.errors
    return {field: " ".join(messages) for field, messages in errors.items()}


def test_adding_an_enrollment_is_enrollment_create(
    admin_client, catalogue, django_capture_on_commit_callbacks, monkeypatch
):
    """A voucher is taken and provisioning queued; what the partner would say (status,
    progress) is not on the form, and posting it anyway changes nothing."""
    from enrollments.models import VoucherStatus

    queued = []
    monkeypatch.setattr("config.celery.send", lambda name, *args: queued.append((name, args)))
    course = PartnerCourse.objects.filter(needs_voucher=True).first()
    voucher = Voucher.objects.create(partner=course.partner, cost=10)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            admin_url(Enrollment, "add"),
            enrollment_form(
                student=make_student().pk,
                course=course.pk,
                progress_percent=150,
                status="completed",
            ),
        )
    assert response.status_code == 302
    enrollment = Enrollment.objects.get()
    assert (enrollment.status, enrollment.progress_percent) == (EnrollmentStatus.REQUESTED, 0)
    voucher.refresh_from_db()
    assert (voucher.status, voucher.enrollment) == (VoucherStatus.ASSIGNED, enrollment)
    assert queued == [("enrollments.tasks.provision_enrollment", (enrollment.pk,))]


def test_adding_without_a_voucher_left_is_a_form_error(admin_client, catalogue):
    course = PartnerCourse.objects.filter(needs_voucher=True).first()
    response = admin_client.post(
        admin_url(Enrollment, "add"), enrollment_form(student=make_student().pk, course=course.pk)
    )
    assert "voucher, credit or seat is left" in str(form_errors(response))
    assert not Enrollment.objects.exists()


def test_second_open_enrollment_is_a_form_error(admin_client, catalogue):
    first = make_enrollment(course=PartnerCourse.objects.first())
    response = admin_client.post(
        admin_url(Enrollment, "add"),
        enrollment_form(student=first.student.pk, course=first.course.pk),
    )
    assert "already has an open enrollment" in str(form_errors(response))
    assert Enrollment.objects.count() == 1


def test_a_completed_enrollment_may_be_followed_by_a_new_one(admin_client, catalogue):
    first = make_enrollment(
        course=PartnerCourse.objects.filter(needs_voucher=False).first(),
        status=EnrollmentStatus.COMPLETED,
        progress_percent=100,
    )
    response = admin_client.post(
        admin_url(Enrollment, "add"),
        enrollment_form(student=first.student.pk, course=first.course.pk),
    )
    assert response.status_code == 302
    assert Enrollment.objects.count() == 2


def test_voucher_for_another_partners_course_is_a_form_error(admin_client, catalogue):
    hsi = Partner.objects.get(slug="hsi")
    certiport_course = PartnerCourse.objects.filter(partner__slug="certiport").first()
    response = admin_client.post(
        admin_url(Voucher, "add"),
        {
            "partner": hsi.pk,
            "course": certiport_course.pk,
            "code": "X-1",
            "cost": "10",
            "status": "available",
        },
    )
    assert "another partner's catalogue" in str(form_errors(response)["course"])
    assert not Voucher.objects.exists()


def test_an_enrollment_keeps_its_student_and_course(admin_client, catalogue):
    enrollment = make_enrollment(course=PartnerCourse.objects.filter(partner__slug="hsi").first())
    other = PartnerCourse.objects.filter(partner__slug="nds").first()
    response = admin_client.post(
        admin_url(Enrollment, "change", enrollment.pk),
        enrollment_form(student=make_student().pk, course=other.pk, funding_source="grant"),
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.course.partner.slug == "hsi" and enrollment.student != other
    assert enrollment.funding_source == "grant"  # ours to change


def test_inconsistent_voucher_status_is_a_form_error(admin_client, catalogue):
    hsi = Partner.objects.get(slug="hsi")
    response = admin_client.post(
        admin_url(Voucher, "add"),
        {"partner": hsi.pk, "code": "X-2", "cost": "10", "status": "assigned"},
    )
    assert "assigned or redeemed one has one" in str(form_errors(response))


def test_course_with_negative_price_is_a_form_error(admin_client, catalogue):
    response = admin_client.post(
        admin_url(PartnerCourse, "add"),
        {
            "partner": Partner.objects.get(slug="jri").pk,
            "code": "NEG",
            "title": "Negative",
            "hours": "1",
            "wholesale_cost": "-1",
            "retail_price": "5",
        },
    )
    assert "greater than or equal to 0" in str(form_errors(response)["wholesale_cost"])


def test_record_admins_are_read_only(admin_client, catalogue):
    for model in PROJECT_MODELS:
        if model.__name__ in {"WebhookDelivery", "WebhookEvent", "PartnerRequestLog"}:
            obj = MAKERS[model]()
            assert admin_client.get(admin_url(model, "add")).status_code == 403
            page = admin_client.get(admin_url(model, "change", obj.pk))
            assert page.status_code == 200
            assert b'type="submit" value="Save"' not in page.content


def test_admin_course_autocomplete_answers(admin_client, catalogue):
    make_course(code="ZZZ-AUTOCOMPLETE")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "ZZZ",
            "app_label": "enrollments",
            "model_name": "enrollment",
            "field_name": "course",
        },
    )
    assert response.status_code == 200
    assert "ZZZ-AUTOCOMPLETE" in response.content.decode()
