"""How every benchmark reports a figure: one `RESULT` line each, saying the ratio, its raw
figures, the target and whether it was met, and the figure docs/performance.md recorded
for it last. `make bench` (benchmarks/run.py) collects these lines into its summary."""

from __future__ import annotations

import re
from pathlib import Path

PERFORMANCE_MD = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
# A row of the "Recorded figures" table: | `name` | figure | value | ...
ROW = re.compile(r"^\|\s*`(?P<name>[\w.]+)`\s*\|[^|]*\|\s*(?P<value>[\d.]+)")


def previous(name: str) -> float | None:
    """The figure docs/performance.md records for `name`, if any."""
    try:
        text = PERFORMANCE_MD.read_text()
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        match = ROW.match(line)
        if match and match["name"] == name:
            return float(match["value"])
    return None


def result(
    name: str,
    figure: str,
    value: float,
    *,
    target: float,
    goal: float | None = None,
    lower_is_better: bool,
    raw: str,
    correct: bool = True,
) -> bool:
    """Print the RESULT line; True when the target is met (and the run was correct)."""
    met = value <= target if lower_is_better else value >= target
    sign = "<=" if lower_is_better else ">="
    wanted = f"target {sign} {target:g}" + (f", goal {sign} {goal:g}" if goal else "")
    before = previous(name)
    was = f"; recorded before {before:.2f}" if before is not None else ""
    verdict = "MET" if met and correct else "MISSED" if correct else "WRONG RESULTS"
    print(f"RESULT {name}: {figure} = {value:.2f} ({raw}); {wanted}{was}: {verdict}", flush=True)
    return met and correct
