"""The scaled path: PostgreSQL's partial unique index under real concurrency, and the
shared cache on Redis.

Each test runs when the run is given its service (DATABASE_URL on PostgreSQL, REDIS_URL)
and then fails if the project does not use it. What decides is the environment the run
was given, never the settings under test: a setting that stopped reading REDIS_URL must
fail here, not skip. Without the service the test skips; with REQUIRE_SERVICES=1 a missing
PostgreSQL or an unreachable Redis fails instead (tests/conftest.py).
"""

import os
import threading
import uuid

import pytest
import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
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


@pytest.fixture
def configured_redis_url(request) -> str:
    """REDIS_URL as the run was given it, once Redis answers there."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL not set for this run: the cache is in-process by design")
    request.getfixturevalue("redis_url")  # skip, or fail under REQUIRE_SERVICES=1, if down
    return url


def test_the_cache_is_redis_when_redis_url_is_set(configured_redis_url, settings):
    assert configured_redis_url == settings.REDIS_URL
    assert isinstance(caches["default"], RedisCache)


def test_the_cache_is_shared_through_redis(configured_redis_url):
    """What one process writes through the configured cache, another reads: it is in
    Redis at REDIS_URL, not in this process."""
    cache = caches["default"]
    key = f"scaled-services-{uuid.uuid4().hex}"
    cache.set(key, {"state": "open"}, 30)
    try:
        raw = redis.Redis.from_url(configured_redis_url, socket_connect_timeout=2)
        assert raw.exists(cache.make_key(key)) == 1
        another_process = caches.create_connection("default")
        assert another_process.get(key) == {"state": "open"}
    finally:
        cache.delete(key)


def test_a_repeated_statement_is_planned_once_on_postgresql(postgres):
    """DATABASE_PREPARED_STATEMENTS (on by default): PostgreSQL plans a statement run again
    and again on one connection once (docs/operations.md, "Scaling")."""
    for _ in range(6):
        list(Enrollment.objects.filter(pk=-1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "enrollments_enrollment"' in sql for sql in prepared), prepared
