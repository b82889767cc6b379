"""Make sure someone can log in to the admin, and say how.

Creates a superuser `admin` with a random password when there is no staff user at all,
and keeps the password in `<DATA_DIR>/admin-credentials.txt` (readable by its owner only)
so later runs can print it again. ADMIN_USERNAME / ADMIN_PASSWORD choose them instead.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a staff login if there is none, and print how to log in."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/")

    def handle(self, *args, url: str, **options):
        users = get_user_model()
        credentials = Path(settings.DATA_DIR) / "admin-credentials.txt"
        if not users.objects.filter(is_staff=True, is_active=True).exists():
            username = os.environ.get("ADMIN_USERNAME", "admin")
            password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            users.objects.create_superuser(username=username, email="", password=password)
            credentials.parent.mkdir(parents=True, exist_ok=True)
            credentials.write_text(f"{username}\n{password}\n")
            credentials.chmod(0o600)
        self.stdout.write(self.login_hint(users, credentials, url))

    def login_hint(self, users, credentials: Path, url: str) -> str:
        if credentials.exists():
            username, password = credentials.read_text().split("\n")[:2]
            user = users.objects.filter(username=username, is_active=True).first()
            if user and user.check_password(password):
                return f"Log in at {url} as {username} / {password}  (kept in {credentials})"
        staff = users.objects.filter(is_staff=True, is_active=True)
        names = ", ".join(staff.values_list("username", flat=True)[:5])
        return (
            f"Log in at {url} with your staff account ({names}); "
            "`python manage.py changepassword <user>` resets a password."
        )
