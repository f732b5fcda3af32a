"""Seed verification: every golden reference must PASS its own harness, and the harness must catch
injected faults. The mutation score (share of one-fault mutants not passing) is recorded per task;
a task whose golden fails, or whose harness catches no mutant, is dropped with its reason.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from backends.domain import get_domain
from backends.faults import apply, inject
from schemas.artifacts import ExecutionRequest, ExecutionResult, SeedCheck, Task
from schemas.outcome import Outcome
from schemas.record import content_id

STAGE = "seed_tasks"
RunBatch = Callable[[list[ExecutionRequest]], list[ExecutionResult]]


@dataclass
class VerificationReport:
    """Counts for the flow's report; `mutation_score` is over all mutants of kept tasks."""

    generated: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    mutants: int = 0
    caught: int = 0
    caught_by_kind: Counter[str] = field(default_factory=Counter)
    mutants_by_kind: Counter[str] = field(default_factory=Counter)

    @property
    def mutation_score(self) -> float:
        return self.caught / self.mutants if self.mutants else 0.0


def _requests(task: Task, seed: int) -> list[tuple[str, ExecutionRequest]]:
    """(fault kind, request): the golden first, then one mutant per kind the source allows."""
    mutators = get_domain(task.domain).mutators
    rng = random.Random(content_id("seed-check", seed, task.task_id))
    pairs = [("", ExecutionRequest.for_code(task, task.reference))]
    for kind in mutators:
        if (mutation := inject(task.reference, mutators, kind, rng)) is not None:
            pairs.append((kind, ExecutionRequest.for_code(task, apply(task.reference, [mutation]))))
    return pairs


def verify_seeds(
    tasks: Sequence[Task], run_batch: RunBatch, seed: int = 0
) -> tuple[list[Task], list[SeedCheck], VerificationReport]:
    """Kept tasks (with their mutation score), every check run, and the counts."""
    plan = [(task, kind, request) for task in tasks for kind, request in _requests(task, seed)]
    results = run_batch([request for _, _, request in plan])
    checks: dict[str, list[SeedCheck]] = {t.task_id: [] for t in tasks}
    for (task, kind, _), result in zip(plan, results, strict=True):
        checks[task.task_id].append(
            SeedCheck(
                stage=STAGE,
                parent_ids=[task.task_id],
                task_id=task.task_id,
                domain=task.domain,
                family=task.family,
                fault_kind=kind,
                outcome=result.outcome,
                caught=bool(kind) and result.outcome is not Outcome.PASS,
                diagnostic=result.diagnostic,
            )
        )
    report = VerificationReport(generated=len(tasks))
    kept = []
    for task in tasks:
        golden, *mutants = checks[task.task_id]
        if golden.outcome is not Outcome.PASS:
            report.dropped[f"golden {golden.outcome}"] += 1
            continue
        caught = sum(m.caught for m in mutants)
        if not caught:
            report.dropped["harness catches no fault"] += 1
            continue
        report.mutants += len(mutants)
        report.caught += caught
        report.mutants_by_kind.update(m.fault_kind for m in mutants)
        report.caught_by_kind.update(m.fault_kind for m in mutants if m.caught)
        kept.append(task.model_copy(update={"mutation_score": caught / len(mutants)}))
    report.kept = len(kept)
    return kept, [c for group in checks.values() for c in group], report
