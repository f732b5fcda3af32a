"""asm seed families: enough distinct tasks, both syntaxes the same machine code, faults that are line-local
in both syntaxes and caught by the harness, goldens that pass."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from backends.asm.domain import SYNTAXES, task_from_kernel
from backends.asm.families import FAMILIES
from backends.asm.faults import FAULT_KINDS, MUTATORS
from backends.asm.kernel import Kernel
from backends.domain import get_domain
from backends.faults import apply, sites
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome
from tasks.seed_verification import verify_seeds

# Families whose goldens give every fault kind somewhere to land, between them.
VERIFIED_FAMILIES = ("array_sum", "substring_search", "copy_bytes", "histogram")


def _execute(requests: list[ExecutionRequest]) -> list[ExecutionResult]:
    return [get_domain("asm").execute(r) for r in requests]


def _first_kernels() -> list[Kernel]:
    return [family.kernels()[0] for family in FAMILIES.values()]


def _machine_code(source: str, directory: Path, name: str) -> bytes:
    """The .text and .rodata bytes GNU as makes of `source` (the goldens are ours: nothing is run)."""
    (directory / f"{name}.s").write_text(source)
    subprocess.run(["as", "--64", "-o", f"{name}.o", f"{name}.s"], cwd=directory, check=True, capture_output=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", "-j", ".rodata", f"{name}.o", f"{name}.bin"],
                   cwd=directory, check=True, capture_output=True)  # fmt: skip
    return (directory / f"{name}.bin").read_bytes()


def test_families_give_hundreds_of_distinct_tasks() -> None:
    assert len(FAMILIES) >= 15
    tasks = get_domain("asm").seed_tasks(None)
    assert len(tasks) >= 400
    assert len({t.task_id for t in tasks}) == len(tasks)
    assert len({t.reference for t in tasks}) == len(tasks)
    for task in tasks:
        symbol = task.environment["symbol"]
        assert f".globl {symbol}" in task.interface and f".globl {symbol}" in task.reference
        assert task.environment["prototype"].rstrip(";") in task.instruction
        assert task.params["syntax"] in SYNTAXES and task.environment["syntax"] == task.params["syntax"]


def test_per_family_spreads_over_the_grid() -> None:
    tasks = get_domain("asm").seed_tasks(2)
    assert len(tasks) == 2 * len(FAMILIES)
    assert {t.params["syntax"] for t in tasks} == set(SYNTAXES)


@pytest.mark.parametrize("kernel", _first_kernels(), ids=lambda k: k.family)
def test_intel_golden_is_the_same_machine_code(kernel: Kernel, tmp_path: Path) -> None:
    att, intel = (task_from_kernel(kernel, s).reference for s in SYNTAXES)  # type: ignore[arg-type]
    assert _machine_code(att, tmp_path, "att") == _machine_code(intel, tmp_path, "intel")


def test_every_fault_kind_has_sites_and_stays_on_one_line() -> None:
    tasks = [task_from_kernel(k, s) for k in _first_kernels() for s in SYNTAXES]  # type: ignore[arg-type]
    for kind in FAULT_KINDS:
        found = [m for t in tasks for m in sites(t.reference, MUTATORS[kind])]
        assert found, kind
        for mutation in found:
            assert mutation.kind == kind and mutation.mutated != mutation.original and "\n" not in mutation.mutated


def test_mutators_see_both_syntaxes_alike() -> None:
    """Same sites in AT&T and Intel, except typos (Intel drops size suffixes, so mnemonics differ)."""
    for kernel in _first_kernels():
        att, intel = (task_from_kernel(kernel, s).reference for s in SYNTAXES)  # type: ignore[arg-type]
        for kind in set(FAULT_KINDS) - {"syntax_slip"}:
            assert len(sites(att, MUTATORS[kind])) == len(sites(intel, MUTATORS[kind])), (kernel.family, kind)


def test_intel_mutations_keep_intel_operands() -> None:
    task = task_from_kernel(FAMILIES["array_sum"].build(type="i64", unroll=2, align="aligned16"), "intel")
    shifted = sites(task.reference, MUTATORS["misaligned_simd_load"])
    assert shifted and all(re.search(r"\[rdi\+rcx\*8\+\d+\]", m.mutated) for m in shifted)
    broken = apply(task.reference, [shifted[0]])
    assert broken.count("\n") == task.reference.count("\n")


def test_a_few_families_verify_with_a_high_mutation_score() -> None:
    tasks = [t for t in get_domain("asm").seed_tasks(1) if t.family in VERIFIED_FAMILIES]
    kept, checks, report = verify_seeds(tasks, _execute)
    goldens = {c.family: (c.outcome, c.diagnostic[:200]) for c in checks if not c.fault_kind}
    assert all(outcome is Outcome.PASS for outcome, _ in goldens.values()), goldens
    assert report.kept == len(tasks)
    assert set(report.mutants_by_kind) == set(FAULT_KINDS)
    assert report.mutation_score >= 0.8, report


@pytest.mark.slow
def test_every_intel_golden_is_the_same_machine_code(tmp_path: Path) -> None:
    for family in FAMILIES.values():
        for index, kernel in enumerate(family.kernels()):
            att, intel = (task_from_kernel(kernel, s).reference for s in SYNTAXES)  # type: ignore[arg-type]
            name = f"{family.name}{index}"
            assert _machine_code(att, tmp_path, name) == _machine_code(intel, tmp_path, f"{name}i"), kernel.params


@pytest.mark.slow
def test_every_golden_passes_its_harness() -> None:
    tasks: list[Task] = get_domain("asm").seed_tasks(None)
    results = _execute([ExecutionRequest.for_code(t, t.reference) for t in tasks])
    failing = [(t.family, t.params, r.outcome, r.diagnostic[:200]) for t, r in zip(tasks, results, strict=True)
               if r.outcome is not Outcome.PASS]  # fmt: skip
    assert not failing


@pytest.mark.slow
def test_every_family_verifies() -> None:
    kept, checks, report = verify_seeds(get_domain("asm").seed_tasks(1), _execute)
    assert report.kept == len(FAMILIES), report.dropped
    assert report.mutation_score >= 0.85, report
