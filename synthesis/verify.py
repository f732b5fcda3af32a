"""Verification of synthesized tasks on the real backends: the reference must pass its own harness.

With `mutation_check` the seed stage's full check runs (`tasks/seed_verification.py`): the golden
must PASS and the harness must catch at least one injected fault; every task then carries its
mutation score. Without it only the golden runs (one execution per task instead of one per fault
kind), which is what a quick run or the demo affords. Either way each run is stored as a
`SeedCheck`, and a task that fails is dropped with the backend's outcome as the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from schemas.artifacts import ExecutionRequest, ExecutionResult, SeedCheck, Task
from schemas.outcome import Outcome
from synthesis.records import STAGE
from tasks.seed_verification import verify_seeds

RunBatch = Callable[[list[ExecutionRequest]], list[ExecutionResult]]


@dataclass(frozen=True)
class Failure:
    task: Task
    reason: str
    outcome: str
    diagnostic: str


@dataclass
class Verification:
    kept: list[Task] = field(default_factory=list)
    checks: list[SeedCheck] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)


def _check(task: Task, result: ExecutionResult) -> SeedCheck:
    return SeedCheck(stage=STAGE, parent_ids=[task.task_id], task_id=task.task_id, domain=task.domain,
                     family=task.family, fault_kind="", outcome=result.outcome, caught=False,
                     diagnostic=result.diagnostic)  # fmt: skip


def verify(tasks: Sequence[Task], run_batch: RunBatch, mutation_check: bool = True, seed: int = 0) -> Verification:
    """Run every task's reference (and, with `mutation_check`, its mutants); split kept from failed."""
    if not tasks:
        return Verification()
    if mutation_check:
        kept, checks, _ = verify_seeds(tasks, run_batch, seed)
        checks = [c.model_copy(update={"stage": STAGE}) for c in checks]
        kept = [t.model_copy(update={"stage": STAGE}) for t in kept]
    else:
        results = run_batch([ExecutionRequest.for_code(t, t.reference) for t in tasks])
        checks = [_check(t, r) for t, r in zip(tasks, results, strict=True)]
        kept = [t for t, c in zip(tasks, checks, strict=True) if c.outcome is Outcome.PASS]
    kept_ids = {t.task_id for t in kept}
    golden = {c.task_id: c for c in checks if not c.fault_kind}
    failed = []
    for task in tasks:
        if task.task_id in kept_ids:
            continue
        check = golden[task.task_id]
        if check.outcome is not Outcome.PASS:
            failed.append(Failure(task, f"golden {check.outcome}", str(check.outcome), check.diagnostic))
        else:
            failed.append(Failure(task, "harness catches no fault", str(check.outcome), ""))
    return Verification(kept, checks, failed)
