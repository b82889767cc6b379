"""A JSON body nested too deeply is a 400 in DRF's shape, never a 500: whether Python's
parser gives up on it or it parses and would overflow the stack further on."""

import pytest

from enrollments.api.parsers import MAX_DEPTH, TOO_DEEP
from enrollments.models import ApiIdempotencyKey, Enrollment, Student
from tests.factories import make_course, make_student


def arrays(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def post(client, url: str, body: str, **headers):
    return client.generic("POST", url, body, content_type="application/json", **headers)


def assert_refused_as_too_deep(response) -> None:
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": TOO_DEEP}


# 100,000 levels: Python's json raises RecursionError. A few hundred levels inside a field:
# it parses, then Django's lookup recursed into the value (a RecursionError at 600).
@pytest.mark.parametrize("depth", [100_000, 5_000, 600, MAX_DEPTH + 1])
@pytest.mark.parametrize("url", ["/api/v1/students/", "/api/v1/enrollments/"])
def test_a_deeply_nested_body_is_400(api, url, depth):
    assert_refused_as_too_deep(post(api, url, arrays(depth)))


@pytest.mark.parametrize("depth", [100_000, 5_000, 600, MAX_DEPTH])
def test_a_deeply_nested_field_is_400_and_stores_nothing(api, depth):
    course = make_course()
    body = f'{{"student": {arrays(depth)}, "course": {course.pk}}}'  # MAX_DEPTH + 1 in all

    response = post(api, "/api/v1/enrollments/", body, HTTP_IDEMPOTENCY_KEY="deep-1")

    assert_refused_as_too_deep(response)
    assert not Enrollment.objects.exists()
    assert not ApiIdempotencyKey.objects.exists()


def test_a_deeply_nested_patch_is_400(api):
    student = make_student(first_name="Ada")
    body = f'{{"first_name": {arrays(5_000)}}}'

    response = api.generic(
        "PATCH", f"/api/v1/students/{student.pk}/", body, content_type="application/json"
    )

    assert_refused_as_too_deep(response)
    student.refresh_from_db()
    assert student.first_name == "Ada"


def test_nesting_up_to_the_limit_reaches_the_serializer(api):
    # MAX_DEPTH levels in all: parsed, then refused field by field as usual.
    body = f'{{"first_name": {arrays(MAX_DEPTH - 1)}}}'

    response = post(api, "/api/v1/students/", body)

    assert response.status_code == 400
    assert response.json()["first_name"] == ["Not a valid string."]
    assert not Student.objects.exists()
