"""`make bench`: run every benchmark, one after another, and end with a summary of their
RESULT lines (benchmarks/_results.py): each ratio, its raw figures, its target and
whether it was met.

A missed target is printed as MISSED (and in the summary) but does not fail the run: the
figures are noisy on a shared machine and are read, not asserted (docs/performance.md).
The run fails (exit 1) only when a benchmark itself fails (exits with an error). One
that prints no RESULT line (result_import prints its own ratio) is named in the summary.

    .venv/bin/python benchmarks/run.py [name ...]     # all, or the ones named
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = {
    "partner_call_logging": [],
    "webhook_ingest": [],
    "webhook_apply": [],
    "dashboard": [],
    "enrolments": [],
    "result_import": [],
}


def run(name: str, args: list[str]) -> tuple[int, list[str], float]:
    print(f"\n=== {name} ===", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(HERE / f"{name}.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=HERE.parent,
    )
    results = []
    assert process.stdout is not None
    for line in process.stdout:
        print(line, end="", flush=True)
        if line.startswith("RESULT "):
            results.append(line[len("RESULT ") :].rstrip())
    return process.wait(), results, time.perf_counter() - started


def main() -> None:
    names = sys.argv[1:] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; known: {', '.join(BENCHMARKS)}")
    summary, broken, unsummarised = [], [], []
    for name in names:
        code, results, seconds = run(name, BENCHMARKS[name])
        if code:
            broken.append(f"{name} (exit {code})")
        elif not results:
            unsummarised.append(name)
        summary.extend(results)
        print(f"--- {name}: {seconds:.0f} s", flush=True)
    print("\n=== summary ===")
    for line in summary:
        print(f"  {line}")
    missed = [line for line in summary if not line.endswith(": MET")]
    print(f"{len(summary) - len(missed)} of {len(summary)} targets met", end="")
    print(f"; missed: {len(missed)}" if missed else "")
    if unsummarised:
        print("no RESULT line (read their output above): " + ", ".join(unsummarised))
    if broken:
        print("benchmarks that failed to run: " + ", ".join(broken))
        raise SystemExit(1)


if __name__ == "__main__":
    main()
