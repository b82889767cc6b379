from django.conf import settings
from django.core.management.base import BaseCommand

from enrollments.services.notifications import send_expiry_reminders


class Command(BaseCommand):
    help = "E-mail students whose certificate expires soon (each reminder is sent once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            nargs="+",
            help=f"stages in days (default {settings.CERTIFICATE_REMINDER_DAYS})",
        )

    def handle(self, *args, days, **options):
        sent = send_expiry_reminders(days=days)
        self.stdout.write(f"{sent} reminder(s) sent.")
