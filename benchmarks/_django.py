"""Set up Django for a benchmark on a throwaway database (SQLite in a temp folder unless
DATABASE_URL says otherwise), migrated and loaded with the catalogue."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(*, debug: bool = False) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true" if debug else "false")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-0123456789abcdefghijklmnop")
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="partnerhub-bench-"))
    os.environ.setdefault("PARTNER_SIMULATOR", "true")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_catalogue", verbosity=0)
