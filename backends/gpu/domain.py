"""The GPU-kernel domain: KernelBench-style seed problems with Triton goldens, the sandboxed
Triton/CUDA backend, and the faults GPU kernels really have.

Task families are kernel kinds (elementwise, reduction, normalization, matmul, fused), each a grid
over its problems and their shapes (`families/__init__.py` says why). Worker resources are decided
here, at import, by `device.worker_resources()`: a whole GPU per Ray actor where a GPU is present
(timings must not share the device), one CPU otherwise (the interpreter path). That check reads the
NVIDIA driver's files; it does not import torch (see `device.py`).
"""

from __future__ import annotations

from backends.domain import Domain, spread
from backends.gpu.device import worker_resources
from backends.gpu.execute import execute
from backends.gpu.families import KINDS
from backends.gpu.faults import MUTATORS
from backends.gpu.task import NAME, task_from_problem
from schemas.artifacts import Task


def seed_tasks(per_family: int | None = None) -> list[Task]:
    """`per_family` tasks of every kind, spread over its (problem, shape) grid, problem by problem so a
    small sample takes different problems; all of them when None."""
    tasks = []
    for kind, families in KINDS.items():
        grid = [(family, params) for family in families for params in family.grid]
        tasks += [task_from_problem(family.build(**params), kind) for family, params in spread(grid, per_family)]
    return tasks


def problem_tasks(per_problem: int | None = 1) -> list[Task]:
    """`per_problem` tasks of every problem (its first shapes; all when None): a sweep over every
    kernel, as the full seed verification wants it."""
    return [
        task_from_problem(family.build(**params), kind)
        for kind, families in KINDS.items()
        for family in families
        for params in family.grid[:per_problem]
    ]


DOMAIN = Domain(
    name=NAME,
    language="python",
    execute=execute,
    seed_tasks=seed_tasks,
    mutators=MUTATORS,
    worker_resources=worker_resources(),
    # one task of each of the 5 kinds: on the CPU path a check costs ~8 CPU-seconds (two torch imports),
    # so seed verification (golden + ~5 mutants) and three ECoT turns each keep the demo's share ~3 minutes
    default_per_family=1,
)
