"""Idempotency-Key on POST /enrollments/: replay, refusal of a reused key, scoping, and
concurrent identical requests on PostgreSQL."""

import json
import threading

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from enrollments.models import ApiIdempotencyKey, Enrollment
from tests.factories import make_course, make_student

URL = "/api/v1/enrollments/"


def post(client, body, key: str | None = "key-1", **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, body, format="json", **headers, **extra)


@pytest.fixture
def body(db) -> dict:
    return {"student": make_student().pk, "course": make_course().pk, "funding_source": "grant"}


def test_a_retry_replays_the_first_answer_and_enrols_once(api, body):
    first = post(api, body)
    second = post(api, body)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Enrollment.objects.count() == 1
    stored = ApiIdempotencyKey.objects.get()
    assert (stored.key, stored.status, stored.body["id"]) == ("key-1", 201, first.json()["id"])


def test_the_same_object_in_another_key_order_is_the_same_request(api, body):
    post(api, body)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = api.post(URL, reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_422(api, body):
    post(api, body)
    response = post(api, {**body, "funding_source": "wioa"})
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert "different request body" in response.json()["detail"]
    assert Enrollment.objects.count() == 1


def test_keys_belong_to_their_user(api, make_client, body):
    from tests.enrollments.api.conftest import API_PERMISSIONS

    other = make_client(*API_PERMISSIONS)
    post(api, body)
    response = post(other, body)
    # Not a replay of someone else's answer: the other user's own request, refused.
    assert response.status_code == 409
    assert ApiIdempotencyKey.objects.count() == 1


def test_a_failed_request_stores_nothing_and_may_be_retried(api, body):
    refused = post(api, {**body, "student": 999999})
    assert refused.status_code == 400
    assert not ApiIdempotencyKey.objects.exists()
    assert post(api, body).status_code == 201


def test_a_conflict_is_not_stored_either(api, body):
    assert post(api, body, key="a").status_code == 201
    assert post(api, body, key="b").status_code == 409
    assert list(ApiIdempotencyKey.objects.values_list("key", flat=True)) == ["a"]


def test_without_the_header_nothing_is_stored(api, body):
    assert post(api, body, key=None).status_code == 201
    assert not ApiIdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_an_empty_or_overlong_key_is_400(api, body, key):
    response = post(api, body, key=key)
    assert response.status_code == 400
    assert list(response.json()) == ["Idempotency-Key"]
    assert not Enrollment.objects.exists()


def test_concurrent_identical_requests_enrol_once_and_answer_alike(postgres, api):
    """Both threads get 201 with the same body: the second waits on the key's unique
    index while the first commits, then replays its answer."""
    body = {"student": make_student().pk, "course": make_course().pk}
    token = Token.objects.get(user=api.user).key
    barrier = threading.Barrier(4)
    answers: list = []

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait(timeout=10)
            answers.append(post(client, body, key="same-key"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [a.status_code for a in answers] == [201] * 4
    assert len({json.dumps(a.json(), sort_keys=True) for a in answers}) == 1
    assert sum(a.has_header("Idempotent-Replayed") for a in answers) == 3
    assert Enrollment.objects.count() == 1
    assert ApiIdempotencyKey.objects.count() == 1


def test_concurrent_requests_with_different_keys_still_enrol_once(postgres, api):
    """Without a shared key, the one-open-enrollment rule decides: one 201, the rest 409."""
    body = {"student": make_student().pk, "course": make_course().pk}
    token = Token.objects.get(user=api.user).key
    barrier = threading.Barrier(3)
    statuses: list[int] = []

    def send(key: str) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait(timeout=10)
            statuses.append(post(client, body, key=key).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(f"key-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [201, 409, 409]
    assert Enrollment.objects.count() == 1
