"""The embedded default in one process: the web server (threaded, so the adapters can call
the built-in simulator on the same server) plus the periodic jobs loop.

The console stays readable: the admin login is printed last, after the server's banner
(`--admin-login`), e-mails take one line each (config.console_mail, the DEBUG default),
and neither a job that went well nor an adapter's call to the simulator on this same
server prints a line (the request logs and the admin keep both)."""

import io
import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.management.commands.runserver import Command as RunserverCommand

from config.jobs import JobsLoop


class QuietSimulatorCalls(logging.Filter):
    """Drops the access-log lines of calls to /simulator/: they are the partner calls the
    adapters make to this same server, each already a request log in the admin."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "/simulator/" not in record.getMessage()


class LoginLastRunserver(RunserverCommand):
    """runserver that prints a line (the admin login) after its banner, so it is the
    last thing on the screen when the server is up."""

    last_line = ""

    def on_bind(self, server_port):
        super().on_bind(server_port)
        if self.last_line:
            self.stdout.write("\n" + self.style.SUCCESS(self.last_line) + "\n")


class Command(BaseCommand):
    help = "Serve Partner Hub with its periodic jobs (sync, reconcile, reminders, alerts)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-jobs", action="store_true", help="serve only")
        parser.add_argument(
            "--admin-login",
            action="store_true",
            help="make sure there is an admin login (ensure_admin) and print it last",
        )

    def handle(self, *args, addrport, no_jobs, admin_login, **options):
        if not no_jobs:
            if settings.CELERY_BROKER_URL:
                self.stdout.write("A broker is configured: periodic jobs belong to Celery beat.")
            else:
                JobsLoop().start_in_thread()
                names = ", ".join(sorted(settings.CELERY_BEAT_SCHEDULE))
                self.stdout.write(f"Periodic jobs running in-process: {names}")
                # A job that went well is not news; failures are still logged as errors.
                logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        logging.getLogger("django.server").addFilter(QuietSimulatorCalls())
        server = LoginLastRunserver(stdout=self.stdout._out, stderr=self.stderr._out)
        if admin_login:
            host = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
            hint = io.StringIO()
            call_command("ensure_admin", url=f"http://{host}/admin/", stdout=hint)
            server.last_line = hint.getvalue().strip()
        call_command(server, addrport, use_reloader=False, use_threading=True)
