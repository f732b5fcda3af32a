"""What the Ray worker pool costs and buys on the Verilog backend.

The same fixed, deterministic mix of requests (golden references of the seed tasks and fault-injected
mutants of them) runs three ways:

- raw: `backends.verilog.execute.execute` called in-process, one request after another. This is the
  tool time itself (Icarus, Verilator, Yosys), the floor every other mode pays.
- pool-1: `WorkerPool("verilog", size=1).map`. Same serial execution, plus Ray's per-request cost
  (serialising the request and result, scheduling the actor call): overhead ratio = pool-1 / raw.
- pool-2: `WorkerPool("verilog", size=2).map`. What parallel actors buy: speed-up = pool-1 / pool-2.

Every mode first runs a couple of requests untimed (first tool launches, `tool_versions()`); for the
pools that warm-up plus spawning the actors is their start-up, reported in its own column so it does
not blur the per-request comparison. `ray.init` is timed once, apart. Outcomes must agree across modes: the pool may add
latency, never change what the tools said.

    .venv/bin/python bench/verilog_pool.py [--tasks N]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from backends.domain import get_domain
from backends.faults import apply, inject
from backends.pool import WorkerPool, ensure_ray
from backends.verilog.execute import execute
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.outcome import Outcome

DOMAIN = "verilog"
SEED = 0
MUTANT_SHARE = 0.5  # every other request is a mutant
WARMUP = 2
# A mutant that never reaches $finish would time the sandbox's wall-clock limit, not the tools.
HANGS = {"missing_event_control"}


def requests(count: int, seed: int = SEED) -> list[ExecutionRequest]:
    """`count` requests cycling over the seed tasks; a seeded share of them carry one injected fault."""
    domain = get_domain(DOMAIN)
    tasks, rng = domain.seed_tasks(None), random.Random(seed)
    rng.shuffle(tasks)
    kinds = sorted(set(domain.mutators) - HANGS)
    made: list[ExecutionRequest] = []
    for index in range(count):
        task = tasks[index % len(tasks)]
        code = task.reference
        if rng.random() < MUTANT_SHARE and (fault := inject(code, domain.mutators, rng.choice(kinds), rng)):
            code = apply(code, [fault])
        made.append(ExecutionRequest.for_code(task, code, timeout_s=30.0))
    return made


@dataclass(frozen=True)
class Run:
    mode: str
    wall_s: float
    outcomes: list[Outcome]
    startup_s: float


def measure(mode: str, run: Callable[[Sequence[ExecutionRequest]], list[ExecutionResult]],
            batch: Sequence[ExecutionRequest], started: float) -> Run:
    """The one timing helper every mode goes through: warm up on a few requests, then time the batch.

    `startup_s` runs from `started` (before any actor was spawned) to the end of the warm-up.
    """
    run(batch[:WARMUP])
    warm = time.perf_counter()
    results = run(batch)
    return Run(mode, time.perf_counter() - warm, [r.outcome for r in results], warm - started)


def pooled(size: int, batch: Sequence[ExecutionRequest]) -> Run:
    started = time.perf_counter()
    with WorkerPool(DOMAIN, size=size) as pool:
        return measure(f"pool-{size}", pool.map, batch, started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=40, help="number of requests (default 40)")
    args = parser.parse_args()
    batch = requests(args.tasks)
    started = time.perf_counter()
    ensure_ray()
    ray_init_s = time.perf_counter() - started

    raw = measure("raw", lambda b: [execute(r) for r in b], batch, time.perf_counter())
    pool1, pool2 = pooled(1, batch), pooled(2, batch)

    table = Table(title=f"Verilog backend: {len(batch)} requests ({sum(o is Outcome.PASS for o in raw.outcomes)} pass)")
    for column in ("mode", "requests", "wall s", "req/s", "vs raw", "vs pool-1", "start-up s"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for run in (raw, pool1, pool2):
        table.add_row(
            run.mode, str(len(run.outcomes)), f"{run.wall_s:.2f}", f"{len(run.outcomes) / run.wall_s:.2f}",
            f"{run.wall_s / raw.wall_s:.2f}x", f"{pool1.wall_s / run.wall_s:.2f}x",
            f"{run.startup_s:.2f}",
        )  # fmt: skip
    console = Console()
    console.print(table)
    console.print(f"ray.init: {ray_init_s:.2f} s (once per process, not in any row)")
    console.print("vs raw = overhead ratio (pool-1 row); vs pool-1 = speed-up (pool-2 row)")
    console.print(f"start-up = actor spawn (pools) + untimed warm-up of {WARMUP} requests")
    agree = raw.outcomes == pool1.outcomes == pool2.outcomes
    console.print(f"outcomes agree across modes: {agree}")
    if not agree:
        for index, outcomes in enumerate(zip(raw.outcomes, pool1.outcomes, pool2.outcomes, strict=True)):
            if len(set(outcomes)) > 1:
                console.print(f"  request {index} ({batch[index].task.family}): {', '.join(outcomes)}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
