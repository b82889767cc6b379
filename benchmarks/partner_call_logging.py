"""What request logging costs a partner call.

Runs the same GET through PartnerClient against a local HTTP server, with the request-log
receiver connected and without it, and prints the ratio (target: no worse than 1.10x).
Each round runs both, which one first alternating (the second run of a pair tends to be
faster, whatever it is), so the machine's load falls on both; the ratio is the median of
the rounds' ratios.

    .venv/bin/python benchmarks/partner_call_logging.py [--calls 2000]
    DATABASE_URL=postgres://postgres@127.0.0.1/bench \\
        .venv/bin/python benchmarks/partner_call_logging.py
"""

import argparse
import json
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _django import setup_django
from _results import result

BODY = json.dumps(
    {"enrollmentId": "HSI-E-1", "percentComplete": 40, "status": "in_progress"}
).encode()


class Partner(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


def run(client, calls: int, flush=lambda: None) -> float:
    """Seconds for `calls` calls, including writing every log they produced."""
    started = time.perf_counter()
    for _ in range(calls):
        client.get("/api/v1/enrollments/HSI-E-1/progress", operation="get_progress")
    flush()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()

    setup_django()
    from django.db import connection

    from monitoring.models import PartnerRequestLog
    from monitoring.recorder import record_request_log, writer
    from partners.client import PartnerClient
    from partners.signals import partner_call_attempted

    server = ThreadingHTTPServer(("127.0.0.1", 0), Partner)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = PartnerClient(
        partner="hsi",
        base_url=f"http://127.0.0.1:{server.server_port}",
        headers={"X-API-Key": "bench-key", "X-Organization-Id": "org"},
        secrets=("bench-key",),
    )
    run(client, 200)  # warm up the connection pool and the database

    def run_logged() -> None:
        logged.append(run(client, args.calls, writer().flush))

    def run_bare() -> None:
        partner_call_attempted.disconnect(record_request_log, dispatch_uid="monitoring.request_log")
        try:
            bare.append(run(client, args.calls))
        finally:
            partner_call_attempted.connect(
                record_request_log, dispatch_uid="monitoring.request_log"
            )

    logged, bare = [], []
    for n in range(args.rounds):
        # Which side goes first alternates: the second run of a pair was measured faster
        # whatever it was (a no-op receiver "cost" 5 % when always first).
        for side in (run_logged, run_bare) if n % 2 == 0 else (run_bare, run_logged):
            side()
    server.shutdown()

    with_logs, without = statistics.median(logged), statistics.median(bare)
    ratio = statistics.median(w / b for w, b in zip(logged, bare, strict=True))
    print(f"database: {connection.vendor}; {args.calls} calls x {args.rounds} rounds (medians)")
    print(f"  without request log: {without / args.calls * 1e6:8.0f} us/call")
    print(f"  with request log:    {with_logs / args.calls * 1e6:8.0f} us/call")
    print(f"  rows written: {PartnerRequestLog.objects.count()}")
    print(
        "  ratio per round: " + ", ".join(f"{w / b:.2f}" for w, b in zip(logged, bare, strict=True))
    )
    result(
        "partner_call_logging",
        "logged / bare",
        ratio,
        target=1.10,
        lower_is_better=True,
        raw=f"{with_logs / args.calls * 1e6:.0f} us / {without / args.calls * 1e6:.0f} us per call",
    )


if __name__ == "__main__":
    main()
