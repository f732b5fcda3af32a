"""Seed families: enough of them, distinct designs, goldens that pass, faults the harness catches."""

from __future__ import annotations

import pytest

from backends.domain import get_domain
from backends.faults import sites
from backends.verilog.families import FAMILIES
from backends.verilog.faults import FAULT_KINDS, MUTATORS
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome
from tasks.seed_verification import verify_seeds


def _execute(requests: list[ExecutionRequest]) -> list[ExecutionResult]:
    return [get_domain("verilog").execute(r) for r in requests]


def test_families_give_hundreds_of_distinct_tasks() -> None:
    assert len(FAMILIES) >= 12
    tasks = get_domain("verilog").seed_tasks(None)
    assert len(tasks) >= 400
    assert len({t.task_id for t in tasks}) == len(tasks)
    assert len({t.reference for t in tasks}) == len(tasks)
    assert all(t.instruction and t.interface.startswith(f"module {t.environment['top']}") for t in tasks)


def test_every_fault_kind_has_sites_somewhere(verilog_tasks: list[Task]) -> None:
    for kind in FAULT_KINDS:
        assert any(sites(t.reference, MUTATORS[kind]) for t in verilog_tasks), kind


def test_one_design_per_family_verifies(verilog_tasks: list[Task]) -> None:
    kept, checks, report = verify_seeds(verilog_tasks, _execute)
    goldens = {c.family: c.outcome for c in checks if not c.fault_kind}
    assert all(outcome is Outcome.PASS for outcome in goldens.values()), goldens
    assert report.kept == len(verilog_tasks)  # no family's harness is blind to every fault
    assert report.mutation_score >= 0.8, report


@pytest.mark.slow
def test_every_golden_reference_passes_its_testbench() -> None:
    tasks = get_domain("verilog").seed_tasks(None)
    results = _execute([ExecutionRequest.for_code(t, t.reference) for t in tasks])
    failing = [(t.family, t.params, r.diagnostic[:200]) for t, r in zip(tasks, results, strict=True)
               if r.outcome is not Outcome.PASS]  # fmt: skip
    assert not failing
