"""Seconds per CAD task, split into what the harness spends them on.

Runs each family's golden script (one part per family, or `--per-family N`) through the real
sandboxed backend (`backends.cad.execute.execute`), one request after another, and splits each
run's wall time using the harness's own clocks (`metrics`):

- import: starting Python and importing CadQuery/OCP, numpy, scipy: per run with `--cold` (one-shot
  sandboxes), else once per warm server, paid by a warm-up run that the table leaves out;
- script: the candidate script in its forked child, including handing its solid over as BREP;
- reference: running the golden script for the reference solid (in parallel with the script);
- export: writing STEP and STL (the STL mesh is the comparison's mesh too);
- compare: validity is cheap; the boolean intersection and the surface sampling/KD-tree queries;
- other: sandbox or fork start, file copies, BREP reload, storing exports (wall minus the above);
- cpu: CPU seconds of the harness and the candidate together (what a loaded machine divides).

    .venv/bin/python bench/cad.py [--per-family N] [--families a b ...] [--cold]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from rich.console import Console
from rich.table import Table

from backends.cad.execute import WARM_ENV, execute
from backends.domain import get_domain
from schemas.artifacts import ExecutionRequest, Task
from schemas.outcome import Outcome

PHASES = ("import_s", "script_s", "reference_s", "export_s", "compare_s")
COLUMNS = (*PHASES, "other_s", "cpu_s")


def _timed(task: Task) -> tuple[float, dict[str, float], str]:
    started = time.monotonic()
    result = execute(ExecutionRequest.for_code(task, task.reference, timeout_s=30.0))
    wall = time.monotonic() - started
    m = result.metrics
    # the reference runs while the script runs; the script's clock already spans it
    split = {p: m.get(p, 0.0) for p in PHASES} | {"cpu_s": m.get("cpu_s", 0.0)}
    split["other_s"] = wall - sum(v for p, v in split.items() if p in PHASES and p != "reference_s")
    status = "" if result.outcome is Outcome.PASS else " !"
    rss = max(m.get("harness_peak_rss_mb", 0.0), m.get("script_peak_rss_mb", 0.0))
    return wall, split | {"samples": m.get("samples", 0.0), "rss": rss}, f"{result.outcome}{status}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-family", type=int, default=1)
    parser.add_argument("--families", nargs="*", default=None)
    parser.add_argument("--cold", action="store_true", help="one-shot sandboxes: CadQuery imported per run")
    args = parser.parse_args()
    os.environ[WARM_ENV] = "0" if args.cold else "1"
    tasks = [t for t in get_domain("cad").seed_tasks(args.per_family)
             if not args.families or t.family in args.families]  # fmt: skip
    mode = "one-shot sandboxes" if args.cold else "warm server"
    console = Console(width=170)
    if not args.cold:
        warmup, _, _ = _timed(tasks[0])
        console.print(f"warm-up run ({tasks[0].family}: server start, CadQuery import, one job): {warmup:.2f} s")
    table = Table(title=f"CAD backend: seconds per task ({len(tasks)} golden scripts, serial, {mode})")
    for column in ("family", "outcome", "wall", *(c.removesuffix("_s") for c in COLUMNS), "samples", "rss MB"):
        table.add_column(column, justify="left" if column in ("family", "outcome") else "right")
    walls, splits = [], {c: [] for c in COLUMNS}
    for task in tasks:
        wall, split, outcome = _timed(task)
        walls.append(wall)
        for column in COLUMNS:
            splits[column].append(split[column])
        table.add_row(task.family, outcome, f"{wall:.2f}", *(f"{split[c]:.2f}" for c in COLUMNS),
                      f"{split['samples']:.0f}", f"{split['rss']:.0f}")  # fmt: skip
    table.add_section()
    for name, stat in (("median", statistics.median), ("mean", statistics.mean)):
        table.add_row(name, "", f"{stat(walls):.2f}", *(f"{stat(splits[c]):.2f}" for c in COLUMNS), "", "")
    table.add_row("total", "", f"{sum(walls):.1f}", *("" for _ in PHASES), "", f"{sum(splits['cpu_s']):.1f}", "", "")
    console.print(table)
    console.print(f"load average during the run: {os.getloadavg()[0]:.1f} (2 cores here; wall times scale with it)")


if __name__ == "__main__":
    main()
