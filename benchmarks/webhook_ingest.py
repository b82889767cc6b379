"""Webhook ingest throughput: Partner Hub's receiver against the floor of any durable
receiver, and against a trivial JSON view, all served the same way.

Each target runs under gunicorn (the Procfile's `web` shape: gthread workers) on a
throwaway PostgreSQL database, with a Redis broker configured so processing is enqueued
and not run in the request (no Celery worker runs: the events queue up, which is what
ingest alone costs). Load comes from wrk, replaying pre-signed requests, each with its
own webhook id, spread over the seven partners:

- trivial:      POST /bench/trivial/                  reads the body, answers {"status": "ok"}
- reference:    POST /bench/reference/<slug>/         verifies the signature, INSERTs one row
                                                      with a unique (partner, webhook id)
- partner hub:  POST /webhooks/partners/<slug>/       the real receiver

Printed, not asserted; the target is partner hub / reference >= 0.6.

    .venv/bin/python benchmarks/webhook_ingest.py [--duration 10] [--rounds 3]

Needs wrk, PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at
127.0.0.1:6379; uses (and drops) the database bench_webhooks and Redis database 5.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import webhook_bench_env as bench
from _results import result

WRK_SCRIPT = r"""
local requests, n, i = {}, 0, 0
init = function(args)
  for line in io.lines(args[1]) do
    local path, id, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    n = n + 1
    requests[n] = wrk.format("POST", path, {
      ["Content-Type"] = "application/json",
      ["webhook-id"] = id, ["webhook-timestamp"] = ts, ["webhook-signature"] = sig,
    }, body)
  end
end
request = function()
  i = i % n + 1
  return requests[i]
end
"""


@dataclass
class Run:
    target: str
    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int


TARGETS = {
    "trivial": lambda slug: "/bench/trivial/",
    "reference": lambda slug: f"/bench/reference/{slug}/",
    "partner hub": lambda slug: f"/webhooks/partners/{slug}/",
}


def write_pool(path: Path, target: str, tag: str, count: int) -> None:
    """`count` distinct signed deliveries, one per line, for the wrk script."""
    from partners.webhook_signing import sign

    now = int(time.time())
    secrets = {slug: bench.secret(slug) for slug in bench.SLUGS}
    with path.open("w") as out:
        for n in range(count):
            slug = bench.SLUGS[n % len(bench.SLUGS)]
            body = json.dumps(
                {
                    "type": "progress.updated",
                    "timestamp": "2026-11-20T10:00:00Z",
                    "data": {
                        "enrollment_id": f"{slug.upper()}-E-{n % 5000}",
                        "progress_percent": n % 101,
                    },
                },
                separators=(",", ":"),
            ).encode()
            msg_id = f"msg_{tag}_{n}"
            signature = sign(secrets[slug], msg_id, now, body)
            out.write(f"{TARGETS[target](slug)}\t{msg_id}\t{now}\t{signature}\t{body.decode()}\n")


def wrk(base_url: str, script: Path, pool: Path, seconds: int, connections: int) -> str:
    return subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base_url,
            "--",
            str(pool),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def parse(target: str, output: str) -> Run:
    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Run(
        target=target,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        requests=int(re.search(r"(\d+) requests in", output)[1]),
        p50_ms=ms("50%"),
        p99_ms=ms("99%"),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(bench.ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=bench.ROOT,
        env=bench.environment(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live/", timeout=1)
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds before each run")
    # Several short rounds, the targets taking turns, so a change in the machine's load
    # (other processes) weighs on all three alike.
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=24)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (Procfile)")
    parser.add_argument("--threads", type=int, default=4, help="threads each (Procfile)")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")

    bench.create_database()
    bench.flush_broker()
    server = None
    try:
        bench.setup_django()
        from django.db import connection
        from webhook_bench_urls import REFERENCE_TABLE_SQL

        with connection.cursor() as cursor:
            cursor.execute(REFERENCE_TABLE_SQL)
        connection.close()
        server = start_gunicorn(args.port, args.workers, args.threads)
        runs = measure(args)
        report(args, runs)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        bench.flush_broker()
        bench.drop_database()


def measure(args) -> dict[str, list[Run]]:
    base_url = f"http://127.0.0.1:{args.port}"
    runs: dict[str, list[Run]] = {t: [] for t in TARGETS}
    with tempfile.TemporaryDirectory(prefix="webhook-ingest-") as folder:
        script = Path(folder) / "replay.lua"
        script.write_text(WRK_SCRIPT)
        pool = Path(folder) / "pool.tsv"
        for round_ in range(args.rounds):
            for target in TARGETS:
                # Enough distinct deliveries that none repeats (a duplicate is cheaper),
                # sized from the warm-up's rate.
                size = 5000 * args.warmup
                write_pool(pool, target, f"{target[:3]}{round_}w", size)
                warm = parse(target, wrk(base_url, script, pool, args.warmup, args.connections))
                size = max(int(warm.rps * args.duration * 2), 10_000)
                write_pool(pool, target, f"{target[:3]}{round_}m", size)
                run = parse(target, wrk(base_url, script, pool, args.duration, args.connections))
                # The trivial view does not care; the others would answer duplicates.
                if run.requests >= size and target != "trivial":
                    raise SystemExit(f"{target}: the request pool ran out; raise its size")
                runs[target].append(run)
                print(
                    f"round {round_ + 1} {target:12s} {run.rps:8.0f} req/s  "
                    f"p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms  "
                    f"non-2xx {run.non_2xx}  socket errors {run.errors}",
                    flush=True,
                )
    return runs


def report(args, runs: dict[str, list[Run]]) -> None:
    import redis

    from webhooks.models import DeliveryVerdict, WebhookDelivery, WebhookEvent

    rate = {t: statistics.median(r.rps for r in rs) for t, rs in runs.items()}

    def ratio(a: str, b: str) -> float:
        """Median of the per-round ratios (each round's runs are minutes apart at most)."""
        return statistics.median(x.rps / y.rps for x, y in zip(runs[a], runs[b], strict=True))

    time.sleep(1)  # let requests still in flight when wrk stopped finish before counting
    queued = redis.Redis.from_url(bench.BROKER_URL).llen("celery")
    accepted = WebhookDelivery.objects.filter(verdict=DeliveryVerdict.ACCEPTED).count()
    print()
    print(
        f"gunicorn {args.workers} workers x {args.threads} threads, wrk {args.connections} "
        f"connections, {args.rounds} x {args.duration} s per target (median rates), PostgreSQL, "
        "Redis broker, no worker running"
    )
    for target, value in rate.items():
        print(f"  {target:12s} {value:8.0f} req/s")
    print(
        f"  partner hub rows: {WebhookEvent.objects.count()} events, {accepted} accepted "
        f"deliveries, {WebhookDelivery.objects.exclude(verdict=DeliveryVerdict.ACCEPTED).count()}"
        f" other deliveries, {queued} processing tasks queued"
    )
    print("ratios (median of the rounds' ratios):")
    print(f"  reference / trivial:     {ratio('reference', 'trivial'):.2f}")
    print(f"  partner hub / trivial:   {ratio('partner hub', 'trivial'):.2f}")
    print(f"  partner hub / reference: {ratio('partner hub', 'reference'):.2f} (target >= 0.6)")
    result(
        "webhook_ingest",
        "partner hub / reference receiver",
        ratio("partner hub", "reference"),
        target=0.6,
        lower_is_better=False,
        raw=f"{rate['partner hub']:.0f} / {rate['reference']:.0f} req/s",
    )


if __name__ == "__main__":
    main()
