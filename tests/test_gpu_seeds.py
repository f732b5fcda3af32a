"""GPU seed problems, their faults and the KernelBench importer (no execution, except where marked)."""

from __future__ import annotations

import ast
import json
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from backends.domain import get_domain
from backends.faults import apply, sites
from backends.gpu.domain import problem_tasks
from backends.gpu.families import KINDS, PROBLEMS
from backends.gpu.importer import import_problems
from backends.gpu.task import interface
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

KERNELBENCH_RELU = '''import torch
import torch.nn as nn

class Model(nn.Module):
    """
    Simple model that performs a ReLU activation.
    """
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Applies ReLU activation to the input tensor.
        """
        return torch.relu(x)

batch_size = 16
dim = 1024

def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]

def get_init_inputs():
    return []  # No special initialization inputs needed
'''


def test_at_least_thirty_problems_across_the_kernel_kinds() -> None:
    assert len(PROBLEMS) >= 30
    assert set(KINDS) == {"elementwise", "reduction", "normalization", "matmul", "fused"}
    assert all(len(problems) >= 3 for problems in KINDS.values())
    assert {problem.level for problem in PROBLEMS.values()} == {1, 2}


def test_tasks_are_kernelbench_problems_with_triton_goldens() -> None:
    tasks = get_domain("gpu").seed_tasks(None)
    assert len(tasks) >= 60 and len({t.task_id for t in tasks}) == len(tasks)
    for task in tasks:
        harness = ast.parse(task.harness)
        names = {getattr(node, "name", None) for node in harness.body}
        assert {"Model", "get_inputs", "get_init_inputs"} <= names, task.params
        assert "@triton.jit" in task.reference and "class ModelNew(nn.Module)" in task.reference
        assert task.interface.startswith("class ModelNew(nn.Module):") and "def forward(self" in task.interface
        small = json.loads(task.environment["small_shapes"])
        assert small and all(f"\n{name} = " in task.harness for name in small)
        assert float(task.environment["atol"]) > 0 and task.harness.strip() in task.instruction


def test_per_family_spreads_over_the_kinds_and_their_problems() -> None:
    domain = get_domain("gpu")
    one = domain.seed_tasks(1)
    assert sorted(t.family for t in one) == sorted(KINDS)
    two = domain.seed_tasks(2)
    assert all(len({t.params["problem"] for t in two if t.family == kind}) == 2 for kind in KINDS)
    assert {t.params["problem"] for t in domain.seed_tasks(None)} == set(PROBLEMS)
    assert [t.params["problem"] for t in problem_tasks(1)] == list(PROBLEMS)


def test_every_fault_kind_has_sites_and_stays_one_line() -> None:
    domain = get_domain("gpu")
    covered: Counter[str] = Counter()
    for task in problem_tasks(1):
        for kind, mutator in domain.mutators.items():
            for mutation in sites(task.reference, mutator):
                mutated = apply(task.reference, [mutation])
                assert mutated.count("\n") == task.reference.count("\n")
                ast.parse(mutated)  # a fault changes behaviour, not the parse (syntax slips are not in this list)
                covered[kind] += 1
    assert set(covered) == set(domain.mutators), covered
    assert covered["flat_indexing"] >= 4 and covered["shared_accumulator_race"] >= 4


def test_the_hinge_loss_fault_is_the_seed_papers() -> None:
    domain = get_domain("gpu")
    task = next(t for t in problem_tasks(1) if t.params["problem"] == "hinge_loss")
    (mutation,) = sites(task.reference, domain.mutators["flat_indexing"])
    assert "targets_ptr + rows" in mutation.original and "targets_ptr + offs" in mutation.mutated


def test_missing_mask_drops_mask_and_other_together() -> None:
    domain = get_domain("gpu")
    task = next(t for t in problem_tasks(1) if t.params["problem"] == "softmax")
    mutations = sites(task.reference, domain.mutators["missing_mask"])
    load = next(m for m in mutations if "tl.load" in m.original)
    assert "other=" in load.original and "mask=" not in load.mutated and "other=" not in load.mutated


def test_importer_reads_kernelbench_layout(tmp_path: Path) -> None:
    level1 = tmp_path / "KernelBench" / "level1"
    level1.mkdir(parents=True)
    (level1 / "19_ReLU.py").write_text(KERNELBENCH_RELU)
    (level1 / "helpers.py").write_text("x = 1\n")
    (level1 / "20_Broken.py").write_text("class Model:\n")
    tasks, report = import_problems(tmp_path)
    assert (report.seen, report.imported) == (3, 1)
    assert report.skipped == Counter({"not a KernelBench problem": 1, "unreadable Python": 1})
    (task,) = tasks
    assert task.domain == "gpu" and task.family == "kernelbench_level1"
    assert task.params == {"problem": "ReLU", "level": "1", "problem_id": "19"}
    assert task.harness == KERNELBENCH_RELU and "class ModelNew(Model)" in task.reference
    assert task.instruction.startswith("Simple model that performs a ReLU activation.")
    assert task.interface == interface(KERNELBENCH_RELU)


def verify_and_report(tasks: list[Task], run_batch: Callable[[list], list]) -> dict:
    """Seed verification of `tasks`: prints the mutation score per fault kind (with the outcomes the
    mutants got) and, where FORGE_GPU_REPORT names a file, writes the summary there as JSON."""
    from tasks.seed_verification import verify_seeds

    _, checks, report = verify_seeds(tasks, run_batch)
    names = {t.task_id: " ".join(t.params.values()) for t in tasks}  # problem and shape
    goldens = [c for c in checks if not c.fault_kind]
    failed = [(names[c.task_id], c.outcome.value, c.diagnostic[:400]) for c in goldens if c.outcome is not Outcome.PASS]
    outcomes: dict[str, Counter[str]] = {}
    for check in checks:
        if check.fault_kind:
            outcomes.setdefault(check.fault_kind, Counter())[check.outcome.value] += 1
    summary = {
        "goldens": len(goldens),
        "failed": failed,
        "kept": report.kept,
        "score": report.mutation_score,
        "by_kind": {k: (report.caught_by_kind[k], report.mutants_by_kind[k]) for k in sorted(report.mutants_by_kind)},
        "outcomes": {kind: dict(counts) for kind, counts in sorted(outcomes.items())},
        "escaped": [(names[c.task_id], c.fault_kind) for c in checks if c.fault_kind and not c.caught],
    }
    print(f"\ngoldens: {len(goldens) - len(failed)}/{len(goldens)} PASS; mutation score {report.mutation_score:.3f}")
    for kind, (caught, total) in summary["by_kind"].items():
        print(f"{kind:26s} {caught:3d}/{total:3d}  {summary['outcomes'][kind]}")
    if path := os.environ.get("FORGE_GPU_REPORT"):
        Path(path).write_text(json.dumps(summary, indent=1))
    return summary


@pytest.mark.slow
def test_all_goldens_pass_and_faults_are_caught_on_the_interpreter() -> None:
    """Seed verification of every problem (its first shape) on the CPU path."""
    domain = get_domain("gpu")

    def run_batch(requests: list[ExecutionRequest]) -> list[ExecutionResult]:
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(domain.execute, requests))

    summary = verify_and_report(problem_tasks(1), run_batch)
    assert not summary["failed"]
    assert summary["kept"] == len(PROBLEMS) and summary["score"] >= 0.8
