"""Set up Django for a benchmark on a throwaway database, migrated and loaded with the
catalogue: SQLite in a temp folder, or, when DATABASE_URL names a PostgreSQL database,
a fresh `test_<name>` on that server (the named database need not exist), dropped at
exit, so a benchmark never writes into a database that holds anything else."""

import atexit
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
    from django.db import connection

    if os.environ.get("DATABASE_URL"):
        name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        atexit.register(connection.creation.destroy_test_db, name, verbosity=0)
    else:
        call_command("migrate", verbosity=0)
    call_command("load_catalogue", verbosity=0)
