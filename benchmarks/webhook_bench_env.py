"""What both webhook benchmarks share: a throwaway PostgreSQL database, a Redis broker
database, partner secrets, and Django set up on them."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from partners.registry import PARTNER_SLUGS  # noqa: E402  (the one list; needs no settings)

BENCH_DIR = Path(__file__).resolve().parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DB_NAME = "bench_webhooks"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
BROKER_URL = "redis://127.0.0.1:6379/5"
SLUGS = tuple(PARTNER_SLUGS)


def secret(slug: str) -> str:
    return "whsec_" + base64.b64encode(f"bench-{slug}".encode().ljust(32, b"#")).decode()


def environment(**extra: str) -> dict[str, str]:
    """The environment of every process of the benchmark (this one, gunicorn, celery)."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "webhook_bench_settings",
            "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(ROOT)]),
            "DEBUG": "false",
            "SECRET_KEY": "benchmark-only-secret-key-0123456789abcdefghijklmnop",
            "SECURE_SSL_REDIRECT": "false",
            "PARTNER_SIMULATOR": "false",
            "DATABASE_URL": DATABASE_URL,
            "CELERY_BROKER_URL": BROKER_URL,
            "LOG_LEVEL": "WARNING",
            **{f"{s.upper()}_WEBHOOK_SECRETS": secret(s) for s in SLUGS},
            **{f"{s.upper()}_MODE": "api" for s in SLUGS},
        }
    )
    env.update(extra)
    return env


def create_database() -> None:
    _psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    _psql(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    _psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()


def setup_django() -> None:
    """Django in this process, on the benchmark database, migrated, with the catalogue."""
    os.environ.update(environment())
    sys.path[:0] = [str(BENCH_DIR), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_catalogue", verbosity=0)


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", PG_ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-qc", sql],
        check=True,
        capture_output=True,
    )
