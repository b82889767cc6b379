"""Who gets in: 401 without credentials, 403 without the model permission, token and
session authentication both work."""

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from enrollments.models import Student
from tests.enrollments.api.conftest import API_PERMISSIONS, grant
from tests.factories import make_certificate, make_course, make_enrollment, make_student

# (method, url pattern, the permission it needs); {student}, {enrollment} and {partner}
# are filled in with real rows so a refusal is never a 404 in disguise.
ENDPOINTS = [
    ("get", "/api/v1/partners/", "partners.view_partner"),
    ("get", "/api/v1/partners/{partner}/", "partners.view_partner"),
    ("get", "/api/v1/courses/", "partners.view_partnercourse"),
    ("get", "/api/v1/students/", "enrollments.view_student"),
    ("post", "/api/v1/students/", "enrollments.add_student"),
    ("get", "/api/v1/students/{student}/", "enrollments.view_student"),
    ("patch", "/api/v1/students/{student}/", "enrollments.change_student"),
    ("get", "/api/v1/enrollments/", "enrollments.view_enrollment"),
    ("post", "/api/v1/enrollments/", "enrollments.add_enrollment"),
    ("get", "/api/v1/enrollments/{enrollment}/", "enrollments.view_enrollment"),
    ("post", "/api/v1/enrollments/{enrollment}/launch/", "enrollments.change_enrollment"),
    ("post", "/api/v1/enrollments/{enrollment}/sync/", "enrollments.change_enrollment"),
    ("post", "/api/v1/enrollments/{enrollment}/cancel/", "enrollments.change_enrollment"),
    ("get", "/api/v1/certificates/", "enrollments.view_certificate"),
]


@pytest.fixture
def rows(db) -> dict:
    enrollment = make_enrollment()
    make_certificate()
    return {
        "partner": enrollment.partner.slug,
        "student": enrollment.student_id,
        "enrollment": enrollment.pk,
    }


def call(client: APIClient, method: str, url: str, rows: dict):
    return getattr(client, method)(url.format(**rows), {}, format="json")


@pytest.mark.parametrize(("method", "url", "perm"), ENDPOINTS)
def test_no_credentials_is_401_with_the_scheme_to_use(anonymous, rows, method, url, perm):
    response = call(anonymous, method, url, rows)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_an_unknown_token_is_401(rows):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get("/api/v1/students/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


@pytest.mark.parametrize(("method", "url", "perm"), ENDPOINTS)
def test_without_the_permission_is_403(make_client, rows, method, url, perm):
    everything_else = [p for p in API_PERMISSIONS if p != perm]
    response = call(make_client(*everything_else), method, url, rows)
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}


@pytest.mark.parametrize(("method", "url", "perm"), ENDPOINTS)
def test_the_one_permission_is_enough(make_client, rows, method, url, perm):
    response = call(make_client(perm), method, url, rows)
    assert response.status_code not in (401, 403), response.content


def test_is_staff_alone_grants_nothing(make_client, rows):
    response = make_client(staff=True).get("/api/v1/students/")
    assert response.status_code == 403


def test_view_permission_reads_but_does_not_write(make_client, rows):
    reader = make_client("enrollments.view_student")
    assert reader.get("/api/v1/students/").status_code == 200
    response = reader.post(
        "/api/v1/students/",
        {"external_ref": "R-1", "first_name": "A", "last_name": "B", "email": "a@b.org"},
        format="json",
    )
    assert response.status_code == 403
    assert not Student.objects.filter(external_ref="R-1").exists()


def test_a_superuser_needs_no_grant(db):
    client = APIClient()
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw"))
    assert client.get("/api/v1/students/").status_code == 200


def test_staff_session_login_works_and_needs_csrf_to_write(db):
    staff = User.objects.create_user("staff", password="pw-for-tests", is_staff=True)
    grant(staff, "enrollments.view_student", "enrollments.add_student")
    make_student(external_ref="S-SESSION")
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="staff", password="pw-for-tests")

    response = client.get("/api/v1/students/")
    assert response.status_code == 200
    assert [s["external_ref"] for s in response.json()["results"]] == ["S-SESSION"]

    body = {"external_ref": "S-2", "first_name": "A", "last_name": "B", "email": "a@b.org"}
    refused = client.post("/api/v1/students/", body, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    # What a browser page would have: the CSRF cookie and the same secret in the header.
    secret = "k" * 32
    client.cookies["csrftoken"] = secret
    accepted = client.post("/api/v1/students/", body, format="json", HTTP_X_CSRFTOKEN=secret)
    assert accepted.status_code == 201


def test_token_auth_needs_no_csrf(api):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=api.user).key}")
    body = {"student": make_student().pk, "course": make_course().pk}
    assert client.post("/api/v1/enrollments/", body, format="json").status_code == 201
