"""Where the time of one embedded execution goes: build (arm-none-eabi-gcc) versus run (QEMU).

For each seed task (one per family by default) the golden reference is executed `--repeat` times
in-process through `backends.embedded.execute.execute`; the table gives the median of each phase:

- build: compiling the candidate and the harness and linking them with the precompiled runtime
  (metrics["build_s"], timed around the sandboxed gcc call);
- run: the sandboxed QEMU process from start to exit (metrics["run_s"]);
- other: everything else in `execute` (staging files, reading the ELF, judging, sandbox set-up).

`--mutants` adds, per task, one fault-injected mutant of a seeded kind and reports the same split
by outcome class (a hung firmware's run time is the 3 s run budget, not QEMU's speed). The first
request of the process also compiles the runtime objects and reads tool versions; it runs untimed.

    .venv/bin/python bench/embedded.py [--per-family N] [--repeat R] [--mutants]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
from collections import defaultdict

from rich.console import Console
from rich.table import Table

from backends.domain import get_domain
from backends.embedded.execute import execute
from backends.faults import apply, inject
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task

DOMAIN = "embedded"
SEED = 0


def split(results: list[ExecutionResult]) -> tuple[float, float, float, float]:
    """Median build, run, other and total seconds over repeated results of one request."""
    build = [r.metrics.get("build_s", 0.0) for r in results]
    run = [r.metrics.get("run_s", 0.0) for r in results]
    other = [r.duration_s - b - u for r, b, u in zip(results, build, run, strict=True)]
    return (statistics.median(build), statistics.median(run), statistics.median(other),
            statistics.median(r.duration_s for r in results))  # fmt: skip


def golden_table(tasks: list[Task], repeat: int) -> Table:
    table = Table(title=f"Embedded golden references: median of {repeat} runs per task")
    for column in ("family", "params", "outcome", "build s", "run s", "other s", "total s", "flash B", "ram B"):
        table.add_column(column, justify="left" if column in ("family", "params", "outcome") else "right")
    sums = [0.0, 0.0, 0.0, 0.0]
    for task in tasks:
        results = [execute(ExecutionRequest.for_code(task, task.reference)) for _ in range(repeat)]
        phases = split(results)
        sums = [a + b for a, b in zip(sums, phases, strict=True)]
        params = ",".join(task.params.values())
        metrics = results[0].metrics
        table.add_row(task.family, params[:28], results[0].outcome, *(f"{p:.3f}" for p in phases),
                      f"{metrics.get('flash_bytes', 0):.0f}", f"{metrics.get('ram_bytes', 0):.0f}")  # fmt: skip
    mean = [s / len(tasks) for s in sums]
    table.add_row("mean", "", "", *(f"{m:.3f}" for m in mean), "", "", style="bold")
    return table


def mutant_table(tasks: list[Task]) -> Table:
    domain, rng = get_domain(DOMAIN), random.Random(SEED)
    by_outcome: dict[str, list[ExecutionResult]] = defaultdict(list)
    for task in tasks:
        kinds = list(domain.mutators)
        rng.shuffle(kinds)
        for kind in kinds:
            if fault := inject(task.reference, domain.mutators, kind, rng):
                result = execute(ExecutionRequest.for_code(task, apply(task.reference, [fault])))
                by_outcome[result.outcome].append(result)
                break
    table = Table(title="One fault-injected mutant per task, by outcome (medians)")
    for column in ("outcome", "mutants", "build s", "run s", "other s", "total s"):
        table.add_column(column, justify="left" if column == "outcome" else "right")
    for outcome, results in sorted(by_outcome.items()):
        table.add_row(outcome, str(len(results)), *(f"{p:.3f}" for p in split(results)))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-family", type=int, default=1, help="seed tasks per family (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each golden (default 3)")
    parser.add_argument("--mutants", action="store_true", help="also time one mutant per task")
    args = parser.parse_args()
    tasks = get_domain(DOMAIN).seed_tasks(args.per_family)
    execute(ExecutionRequest.for_code(tasks[0], tasks[0].reference))  # untimed: runtime objects, versions
    console = Console(width=150)
    load = os.getloadavg()[0]
    console.print(golden_table(tasks, args.repeat))
    if args.mutants:
        console.print(mutant_table(tasks))
    console.print(f"{len(tasks)} tasks; {os.cpu_count()} CPUs, load average {load:.2f} when the benchmark started")


if __name__ == "__main__":
    main()
