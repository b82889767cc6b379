"""The embedded default in one process: the web server (threaded, so the adapters can call
the built-in simulator on the same server) plus the periodic jobs loop."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from config.jobs import JobsLoop


class Command(BaseCommand):
    help = "Serve Partner Hub with its periodic jobs (sync, reconcile, reminders, alerts)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-jobs", action="store_true", help="serve only")

    def handle(self, *args, addrport, no_jobs, **options):
        if not no_jobs:
            if settings.CELERY_BROKER_URL:
                self.stdout.write("A broker is configured: periodic jobs belong to Celery beat.")
            else:
                JobsLoop().start_in_thread()
                names = ", ".join(sorted(settings.CELERY_BEAT_SCHEDULE))
                self.stdout.write(f"Periodic jobs running in-process: {names}")
        call_command("runserver", addrport, use_reloader=False, use_threading=True)
