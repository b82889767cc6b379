"""API_THROTTLE_RATE applies per token."""

from types import SimpleNamespace

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from enrollments.api.throttling import TokenRateThrottle
from tests.enrollments.api.conftest import API_PERMISSIONS


@pytest.fixture
def three_a_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/minute"},
    }


def test_the_fourth_call_in_a_minute_is_429_with_retry_after(api, three_a_minute):
    assert [api.get("/api/v1/students/").status_code for _ in range(3)] == [200] * 3
    response = api.get("/api/v1/students/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["detail"].startswith("Request was throttled.")


def test_each_token_has_its_own_allowance(make_client, three_a_minute):
    first, second = make_client(*API_PERMISSIONS), make_client(*API_PERMISSIONS)
    for _ in range(3):
        first.get("/api/v1/students/")
    assert first.get("/api/v1/students/").status_code == 429
    assert second.get("/api/v1/students/").status_code == 200


def test_a_new_token_for_the_same_user_starts_afresh(api, three_a_minute):
    for _ in range(3):
        api.get("/api/v1/students/")
    assert api.get("/api/v1/students/").status_code == 429
    Token.objects.filter(user=api.user).delete()
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=api.user).key}")
    assert fresh.get("/api/v1/students/").status_code == 200


def test_the_cache_key_holds_a_hash_of_the_token_not_the_token(api):
    token = Token.objects.get(user=api.user)
    request = SimpleNamespace(auth=token, user=api.user)
    cache_key = TokenRateThrottle().get_cache_key(request, view=None)
    assert cache_key.startswith("throttle_user_token:")
    assert token.key not in cache_key


def test_an_unreachable_cache_lets_requests_through(api, settings, caplog):
    """Redis down (a closed local port): the API answers, with one warning, instead of a
    500 from the rate limiter on every request."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    TokenRateThrottle._warned_at = 0.0
    assert [api.get("/api/v1/students/").status_code for _ in range(3)] == [200] * 3
    warnings = [r for r in caplog.records if "rate limit not applied" in r.getMessage()]
    assert len(warnings) == 1
