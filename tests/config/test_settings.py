import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from config.celery import app as celery_app
from config.mailers import mailers_from_url
from partners.registry import PARTNER_SLUGS

ROOT = Path(__file__).resolve().parents[2]
PER_PARTNER = (
    "MODE",
    "API_BASE_URL",
    "API_KEY",
    "API_SECRET",
    "ORGANIZATION_ID",
    "WEBHOOK_SECRETS",
    "TIMEOUT",
    "MAX_RETRIES",
)


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Drop what tests/settings.py injected so the child reads production defaults.
    injected = {
        "DJANGO_SETTINGS_MODULE",
        "DEBUG",
        "SECRET_KEY",
        "PARTNER_SIMULATOR",
        "PARTNER_SIMULATOR_FORCE",
        "EMAIL_URL",
    }
    clean = {k: v for k, v in os.environ.items() if k not in injected | {"SECURE_SSL_REDIRECT"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="p" + "6Kq9xV2mT8rW4zL1nB7cY3hJ5dF0sG" * 2,
        ALLOWED_HOSTS="partnerhub.example.org",
        DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Notes (Info) may remain, e.g. roster partners without a webhook secret; nothing worse.
    assert "WARNINGS:" not in result.stdout and "ERRORS:" not in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_manage("check", DEBUG="false", SECRET_KEY="", DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_every_setting_read_is_documented_in_the_example_env():
    example = (ROOT / ".env.partners.example").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    read = set(
        re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', (ROOT / "config/settings.py").read_text())
    )
    expected = read | {f"{slug.upper()}_{name}" for slug in PARTNER_SLUGS for name in PER_PARTNER}
    assert sorted(expected - documented) == []


def test_sqlite_is_tuned_for_several_writers():
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("PostgreSQL run")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_without_a_broker_tasks_run_in_process():
    if settings.CELERY_BROKER_URL:
        pytest.skip("a broker is configured for this run")
    assert celery_app.conf.task_always_eager is True

    @celery_app.task
    def add(a, b):
        return a + b

    # An earlier test may leave Celery believing it runs inside a worker task (which
    # forbids get()); an eager result is already there, so nothing is waited on.
    assert add.delay(2, 3).get(disable_sync_subtasks=False) == 5


def test_models_and_migrations_agree(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.parametrize(
    ("url", "backend", "options"),
    [
        ("consolemail://", "console.EmailBackend", {}),
        ("filemail:///var/mail/hub", "filebased.EmailBackend", {"file_path": "/var/mail/hub"}),
        (
            "smtp+tls://user:s3cret@smtp.example.org:587",
            "smtp.EmailBackend",
            {
                "host": "smtp.example.org",
                "port": 587,
                "username": "user",
                "password": "s3cret",
                "use_tls": True,
            },
        ),
    ],
)
def test_email_url_becomes_a_mailer(url, backend, options):
    mailer = mailers_from_url(url)["default"]
    assert mailer["BACKEND"].endswith(backend)
    assert options.items() <= mailer["OPTIONS"].items()


def test_root_redirects_to_the_admin(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
