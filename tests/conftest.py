import os

import pytest
from django.core.management import call_command
from django.db import connection

from partners.breakers import reset_breakers
from partners.registry import clear_adapters


def require_service(reason: str) -> None:
    """Skip a test whose service is missing, or fail it when CI demands the service."""
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres(transactional_db):
    """A test that only means something on PostgreSQL (row locks, real concurrency)."""
    if connection.vendor != "postgresql":
        require_service("the database is not PostgreSQL (set DATABASE_URL=postgres://...)")
    return connection


@pytest.fixture
def redis_url() -> str:
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        require_service(f"Redis is not reachable at {url} ({exc})")
    return url


@pytest.fixture
def catalogue(db):
    call_command("load_catalogue", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def live_simulator(live_server, settings, transactional_db):
    """The catalogue, and partners served by the simulator over real HTTP on a live test
    server; adapters point at it and tasks run in-process."""
    call_command("load_catalogue", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.PARTNER_SIMULATOR = True
    settings.SITE_URL = live_server.url
    clear_adapters()
    reset_breakers()
    yield live_server
    clear_adapters()
    reset_breakers()


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def broker_down(settings, monkeypatch):
    """A Redis broker configured at a local port where nothing listens: every publish
    really tries to connect and fails, as with the broker down."""
    from config.celery import app

    # Celery reads Django's settings once, at first use: before they are changed here.
    for name, value in {
        "broker_url": "redis://127.0.0.1:1/0",
        "broker_transport": None,
        "task_always_eager": False,
    }.items():
        monkeypatch.setitem(app.conf, name, value)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Connection pools made for the in-memory broker would hide the outage.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
