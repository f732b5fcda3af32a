"""CAD seed families: enough of them, distinct parts, goldens that pass, faults the harness catches."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from backends.cad.families import FAMILIES
from backends.cad.faults import FAULT_KINDS, MUTATORS
from backends.domain import get_domain
from backends.faults import apply, sites
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome
from tasks.seed_verification import verify_seeds


def _execute(requests: list[ExecutionRequest]) -> list[ExecutionResult]:
    with ThreadPoolExecutor(2) as pool:  # each run is a sandboxed process; two fit the machine
        return list(pool.map(get_domain("cad").execute, requests))


@pytest.fixture(scope="module")
def cad_tasks() -> list[Task]:
    """One part per family."""
    return get_domain("cad").seed_tasks(1)


def test_families_give_hundreds_of_distinct_tasks() -> None:
    assert len(FAMILIES) >= 20
    tasks = get_domain("cad").seed_tasks(None)
    assert len(tasks) >= 300
    assert len({t.task_id for t in tasks}) == len(tasks)
    assert len({t.reference for t in tasks}) == len(tasks)
    assert len({t.instruction for t in tasks}) == len(tasks)
    assert all(" mm" in t.instruction and "`result`" in t.instruction for t in tasks)


def test_every_family_offers_most_fault_kinds(cad_tasks: list[Task]) -> None:
    for kind in FAULT_KINDS:
        assert any(sites(t.reference, MUTATORS[kind]) for t in cad_tasks), kind
    for task in cad_tasks:
        offered = [kind for kind in FAULT_KINDS if sites(task.reference, MUTATORS[kind])]
        assert len(offered) >= 3, (task.family, offered)


def test_every_mutant_is_still_python(cad_tasks: list[Task]) -> None:
    """Faults are modelling mistakes, not typos: each mutant parses, so the harness judges the geometry."""
    for task in cad_tasks:
        for kind in FAULT_KINDS:
            for mutation in sites(task.reference, MUTATORS[kind]):
                compile(apply(task.reference, [mutation]), "part.py", "exec")


@pytest.mark.slow  # six CadQuery runs (~30 s idle, minutes on a loaded machine)
def test_one_part_verifies_with_its_faults_caught(cad_tasks: list[Task]) -> None:
    task = next(t for t in cad_tasks if t.family == "shaft_keyway")
    kept, checks, report = verify_seeds([task], _execute)
    assert checks[0].outcome is Outcome.PASS, checks[0].diagnostic
    assert report.kept == 1 and report.mutants >= 4
    assert report.mutation_score >= 0.75, [(c.fault_kind, c.outcome) for c in checks]


@pytest.mark.slow
def test_one_part_per_family_verifies(cad_tasks: list[Task]) -> None:
    kept, checks, report = verify_seeds(cad_tasks, _execute)
    goldens = {c.family: (c.outcome, c.diagnostic[:200]) for c in checks if not c.fault_kind}
    assert all(outcome is Outcome.PASS for outcome, _ in goldens.values()), goldens
    assert report.kept == len(cad_tasks)
    assert report.mutation_score >= 0.8, report


@pytest.mark.slow
def test_every_golden_script_passes_against_itself() -> None:
    tasks = get_domain("cad").seed_tasks(None)
    results = _execute([ExecutionRequest.for_code(t, t.reference) for t in tasks])
    failing = [(t.family, t.params, r.outcome, r.diagnostic[:200]) for t, r in zip(tasks, results, strict=True)
               if r.outcome is not Outcome.PASS]  # fmt: skip
    assert not failing
