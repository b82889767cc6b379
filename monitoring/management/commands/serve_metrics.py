"""Serve this machine's counters to Prometheus where no web process runs.

On a machine with only Celery workers, the partner-call counters those workers write to
PROMETHEUS_MULTIPROC_DIR have no /metrics to be read from. This serves them, behind the
same allow-list and token as /metrics. The scrape-time gauges (enrollments, breakers,
webhooks) are left to the web app's /metrics, so they are not reported twice.
"""

from __future__ import annotations

from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.core.management.base import BaseCommand, CommandError
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.exposition import ThreadingWSGIServer

from monitoring.metrics import exposition, multiprocess_dir
from monitoring.views import address_allowed, token_matches


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args) -> None:  # one line per scrape is noise
        pass


def metrics_app(environ, start_response):
    """A WSGI app answering every GET with the multi-process counters, or 403."""
    allowed = token_matches(environ.get("HTTP_AUTHORIZATION", "")) or address_allowed(
        environ.get("REMOTE_ADDR", "")
    )
    if not allowed:
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"Forbidden\n"]
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
    return [exposition(scrape_time=False)]


class Command(BaseCommand):
    help = "Serve the partner-call counters of this machine's processes for Prometheus."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addr", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=9808)

    def handle(self, *args, addr: str, port: int, **options) -> None:
        if not multiprocess_dir():
            raise CommandError(
                "Set PROMETHEUS_MULTIPROC_DIR (the same folder as the workers') first."
            )
        server = make_server(addr, port, metrics_app, ThreadingWSGIServer, QuietHandler)
        self.stdout.write(f"Serving metrics on http://{addr}:{port}/")
        server.serve_forever()
