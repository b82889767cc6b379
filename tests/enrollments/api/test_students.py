"""GET|POST /students/, GET|PATCH /students/<id>/."""

import pytest

from enrollments.models import Student
from tests.factories import make_student

NEW = {
    "external_ref": "WF-2041",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.org",
    "phone": "+1 555 0100",
}


def test_create_answers_201_with_exactly_the_designed_fields(api):
    response = api.post("/api/v1/students/", NEW, format="json")
    assert response.status_code == 201
    student = Student.objects.get(external_ref="WF-2041")
    assert response.json() == {"id": student.pk, **NEW}


def test_create_goes_through_the_service(api):
    # student_create normalises: trimmed reference, lower-case e-mail.
    body = {**NEW, "external_ref": "  WF-7 ", "email": "Ada@Example.ORG"}
    created = api.post("/api/v1/students/", body, format="json").json()
    assert created["external_ref"] == "WF-7" and created["email"] == "ada@example.org"


def test_phone_is_optional(api):
    body = {k: v for k, v in NEW.items() if k != "phone"}
    response = api.post("/api/v1/students/", body, format="json")
    assert response.status_code == 201 and response.json()["phone"] == ""


def test_bad_input_is_400_with_field_errors(api):
    response = api.post(
        "/api/v1/students/", {"external_ref": "", "email": "not-an-email"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "external_ref": ["This field may not be blank."],
        "first_name": ["This field is required."],
        "last_name": ["This field is required."],
        "email": ["Enter a valid email address."],
    }
    assert not Student.objects.exists()


def test_a_taken_reference_is_400_on_the_field(api):
    make_student(external_ref="WF-2041")
    response = api.post("/api/v1/students/", NEW, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "external_ref": ["Student with this Student reference already exists."]
    }


def test_a_body_that_is_not_an_object_is_400(api):
    response = api.post("/api/v1/students/", [1, 2], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_malformed_json_is_400(api):
    response = api.post("/api/v1/students/", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_retrieve_and_unknown_ids(api):
    student = make_student()
    response = api.get(f"/api/v1/students/{student.pk}/")
    assert response.status_code == 200 and response.json()["external_ref"] == student.external_ref
    assert api.get(f"/api/v1/students/{student.pk + 100}/").status_code == 404
    assert api.get("/api/v1/students/abc/").status_code == 404
    assert api.get("/api/v1/students/99999999999999999999999/").status_code == 404


def test_list_is_paginated_and_filters_by_reference(api):
    make_student(external_ref="A-1", last_name="Zed")
    make_student(external_ref="B-2", last_name="Abel")
    body = api.get("/api/v1/students/").json()
    assert body["count"] == 2
    assert [s["last_name"] for s in body["results"]] == ["Abel", "Zed"]
    found = api.get("/api/v1/students/", {"external_ref": "A-1"}).json()["results"]
    assert [s["external_ref"] for s in found] == ["A-1"]


def test_patch_changes_only_what_is_sent(api):
    student = make_student(first_name="Ada", phone="1")
    response = api.patch(f"/api/v1/students/{student.pk}/", {"phone": "+1 555 0199"}, format="json")
    assert response.status_code == 200
    assert response.json()["phone"] == "+1 555 0199" and response.json()["first_name"] == "Ada"
    student.refresh_from_db()
    assert student.phone == "+1 555 0199"


def test_patch_with_bad_email_is_400_and_changes_nothing(api):
    student = make_student(email="old@example.org")
    response = api.patch(f"/api/v1/students/{student.pk}/", {"email": "x"}, format="json")
    assert response.status_code == 400 and "email" in response.json()
    student.refresh_from_db()
    assert student.email == "old@example.org"


def test_the_reference_cannot_be_patched(api):
    student = make_student(external_ref="KEEP-1")
    response = api.patch(
        f"/api/v1/students/{student.pk}/", {"external_ref": "OTHER"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"external_ref": ["The student reference cannot be changed."]}
    student.refresh_from_db()
    assert student.external_ref == "KEEP-1"


def test_patch_of_unknown_student_is_404(api, db):
    assert api.patch("/api/v1/students/424242/", {}, format="json").status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_only_the_designed_methods(api, method):
    student = make_student()
    response = getattr(api, method)(f"/api/v1/students/{student.pk}/", NEW, format="json")
    assert response.status_code == 405
    assert Student.objects.filter(pk=student.pk).exists()
