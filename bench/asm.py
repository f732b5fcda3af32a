"""What an asm task costs to judge, and how far its speedup can be trusted.

Runs the golden of a spread of asm seed tasks through the real backend (`backends.asm.execute`),
in-process and serially, twice each:

- cold: the first execution of the task in this process compiles its harness (gcc -O2), then
  assembles and links the candidate and runs the harness;
- warm: the second execution reuses the compiled harness object (as in the ECoT loop, where a task
  is executed once per turn), so its build is `as` + link only.

Per task it prints the time split (build cold/warm, run), both sides' median ns per call, the
speedup of the golden over gcc -O2 of the C reference, the timing noise (max/min over the harness's
repeats, the larger of reference and candidate) and whether the speedup exceeds it (`faster`), and
the speedup measured again on the warm run: the spread between the two is what a rerun moves it.

    .venv/bin/python bench/asm.py [--per-family N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from backends.asm.execute import execute
from backends.domain import get_domain
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome


@dataclass(frozen=True)
class Measured:
    task: Task
    cold: ExecutionResult
    warm: ExecutionResult
    wall_s: float

    def metric(self, name: str, warm: bool = False) -> float:
        return (self.warm if warm else self.cold).metrics.get(name, float("nan"))


def measure(task: Task) -> Measured:
    started = time.perf_counter()
    request = ExecutionRequest.for_code(task, task.reference, timeout_s=30.0)
    cold = execute(request)
    warm = execute(request)
    return Measured(task, cold, warm, time.perf_counter() - started)


def _params(task: Task) -> str:
    return " ".join(f"{k}={v}" for k, v in task.params.items() if k != "syntax") + f" ({task.params['syntax']})"


def table(rows: list[Measured]) -> Table:
    out = Table(title=f"asm goldens vs gcc -O2 of the C reference ({len(rows)} tasks, each run cold then warm)")
    columns = ("family", "params", "outcome", "build cold s", "build warm s", "run s", "ref ns", "golden ns",
               "speedup", "noise max/min", "faster", "speedup rerun")  # fmt: skip
    for column in columns:
        out.add_column(column, justify="left" if column in ("family", "params", "outcome") else "right")
    for m in rows:
        out.add_row(
            m.task.family, _params(m.task), m.cold.outcome.value, f"{m.metric('build_s'):.2f}",
            f"{m.metric('build_s', warm=True):.2f}", f"{m.metric('run_s'):.2f}", f"{m.metric('ref_median_ns'):.0f}",
            f"{m.metric('cand_median_ns'):.0f}", f"{m.metric('speedup'):.2f}", f"{m.metric('noise'):.2f}",
            "yes" if m.metric("faster") == 1.0 else "no", f"{m.metric('speedup', warm=True):.2f}",
        )  # fmt: skip
    return out


def summary(rows: list[Measured], console: Console) -> None:
    def stat(name: str, warm: bool = False) -> str:
        values = [m.metric(name, warm) for m in rows if name in (m.warm if warm else m.cold).metrics]
        return f"median {statistics.median(values):.2f}, max {max(values):.2f}" if values else "n/a"

    passed = [m for m in rows if m.cold.outcome is Outcome.PASS]
    console.print(f"goldens passing: {len(passed)}/{len(rows)}")
    console.print(f"build s, cold (harness compiled): {stat('build_s')}")
    console.print(f"build s, warm (harness cached):   {stat('build_s', warm=True)}")
    console.print(f"run s (tests + timing):           {stat('run_s')}")
    walls = [m.wall_s for m in rows]
    console.print(f"wall s per task, both runs:       median {statistics.median(walls):.2f}, max {max(walls):.2f}")
    console.print(f"noise max/min:                    {stat('noise')}")
    faster = sum(m.metric("faster") == 1.0 for m in passed)
    console.print(f"faster than gcc -O2 beyond noise: {faster}/{len(passed)}")
    reruns = [m for m in passed if m.warm.outcome is Outcome.PASS]
    drifts = [abs(m.metric("speedup", warm=True) / m.metric("speedup") - 1) for m in reruns]
    if drifts:
        console.print(f"speedup rerun drift |warm/cold - 1|: median {statistics.median(drifts):.1%}, "
                      f"max {max(drifts):.1%}")  # fmt: skip
    slower = sorted((m.metric("speedup"), m.task.family, _params(m.task)) for m in passed if m.metric("speedup") < 1)
    for speedup, family, params in slower:
        console.print(f"  slower than the reference: {family} {params} ({speedup:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-family", type=int, default=2, help="tasks per family (default 2; 0 = all)")
    args = parser.parse_args()
    tasks = get_domain("asm").seed_tasks(args.per_family or None)
    console = Console(width=200)
    rows = [measure(task) for task in tasks]
    console.print(table(rows))
    summary(rows, console)


if __name__ == "__main__":
    main()
