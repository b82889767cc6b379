"""The scaled path: PostgreSQL's partial unique index under real concurrency, and the
shared cache on Redis. Skipped without those services unless REQUIRE_SERVICES=1."""

import threading

import pytest
from django.core.cache import caches
from django.db import IntegrityError, close_old_connections, connection

from enrollments.models import Enrollment
from tests.factories import make_course, make_student


def test_two_concurrent_requests_cannot_both_open_an_enrollment(postgres):
    student, course = make_student(), make_course()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def enrol():
        close_old_connections()
        try:
            barrier.wait()
            Enrollment.objects.create(student=student, course=course)
            outcomes.append("created")
        except IntegrityError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created", "refused"]
    assert Enrollment.objects.filter(student=student, course=course).count() == 1


def test_redis_cache_is_shared(redis_url, settings):
    from django.core.cache.backends.redis import RedisCache

    cache = RedisCache(redis_url, {})
    cache.set("partnerhub-test-key", {"state": "open"}, 30)
    assert RedisCache(redis_url, {}).get("partnerhub-test-key") == {"state": "open"}
    cache.delete("partnerhub-test-key")


def test_configured_cache_is_redis_when_redis_url_is_set(settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL not set for this run")
    assert caches["default"].__class__.__name__ == "RedisCache"
    caches["default"].set("partnerhub-probe", 1, 5)
    assert caches["default"].get("partnerhub-probe") == 1
