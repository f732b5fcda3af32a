"""Each outcome class the asm domain produces, from real as/gcc/ld/harness runs in the sandbox."""

from __future__ import annotations

import re

import pytest

from backends import isolation, sandbox
from backends.asm.domain import task_from_kernel
from backends.asm.families import FAMILIES
from backends.domain import get_domain
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome


def _task(family: str, syntax: str = "att", **params: int | str) -> Task:
    kernel = next(k for k in FAMILIES[family].kernels() if all(k.params[p] == v for p, v in params.items()))
    return task_from_kernel(kernel, syntax)  # type: ignore[arg-type]


def run_asm(task: Task, code: str, timeout_s: float = 20.0) -> ExecutionResult:
    return get_domain("asm").execute(ExecutionRequest.for_code(task, code, timeout_s))


def _line_of(code: str, text: str) -> int:
    """1-based number of the first line containing `text`."""
    return next(i for i, line in enumerate(code.split("\n"), 1) if text in line)


@pytest.fixture(scope="module")
def sum_task() -> Task:
    """int64_t sum_i32(const int32_t *a, size_t n), pointers only 4-byte aligned, AT&T."""
    return _task("array_sum", type="i32", unroll=2, align="unaligned")


def test_golden_passes_with_timing_and_noise(sum_task: Task) -> None:
    result = run_asm(sum_task, sum_task.reference)
    assert result.outcome is Outcome.PASS, result.diagnostic
    metrics = result.metrics
    assert metrics["tests"] > 100
    assert 0 < metrics["cand_min_ns"] <= metrics["cand_median_ns"] <= metrics["cand_max_ns"]
    assert 0 < metrics["ref_min_ns"] <= metrics["ref_median_ns"] <= metrics["ref_max_ns"]
    assert metrics["speedup"] == pytest.approx(metrics["ref_median_ns"] / metrics["cand_median_ns"])
    assert metrics["noise"] >= 1.0
    assert metrics["faster"] == float(metrics["speedup"] > metrics["noise"])
    assert metrics["build_s"] > 0 and metrics["run_s"] > 0
    assert result.tool_versions["as"].startswith("GNU assembler")


def test_intel_syntax_golden_passes() -> None:
    task = _task("substring_search", syntax="intel", filter="first_last", unroll=1)
    assert task.reference.startswith(".intel_syntax noprefix")
    result = run_asm(task, task.reference)
    assert result.outcome is Outcome.PASS, result.diagnostic


def test_assembler_error_names_the_line(sum_task: Task) -> None:
    broken = sum_task.reference.replace("paddq %xmm8, %xmm0", "padq %xmm8, %xmm0", 1)
    result = run_asm(sum_task, broken)
    assert result.outcome is Outcome.COMPILATION_ERROR
    line = _line_of(broken, "padq")
    assert re.search(rf"cand\.s:{line}: Error: no such instruction: `padq", result.diagnostic), result.diagnostic


def test_missing_symbol_is_a_link_error(sum_task: Task) -> None:
    result = run_asm(sum_task, sum_task.reference.replace("sum_i32", "sum_32"))
    assert result.outcome is Outcome.COMPILATION_ERROR
    assert "undefined reference to `sum_i32'" in result.diagnostic


def test_absolute_address_is_rejected_by_the_pie_link() -> None:
    task = _task("byte_swap", type="u32", unroll=1, align="unaligned")
    result = run_asm(task, task.reference.replace(".LCswap(%rip)", ".LCswap"))
    assert result.outcome is Outcome.COMPILATION_ERROR
    assert "can not be used when making a PIE object" in result.diagnostic


def test_misaligned_sse_load_is_memory_fault_at_its_line(sum_task: Task) -> None:
    mutated = sum_task.reference.replace("movdqu", "movdqa", 1)
    result = run_asm(sum_task, mutated)
    assert result.outcome is Outcome.MEMORY_FAULT
    assert f"cand.s:{_line_of(mutated, 'movdqa')}: in sum_i32" in result.diagnostic
    assert "SIGSEGV" in result.diagnostic and "16-byte offset" in result.diagnostic


def test_off_by_one_bound_runs_into_the_guard_page(sum_task: Task) -> None:
    result = run_asm(sum_task, sum_task.reference.replace("jae .Ldone", "ja .Ldone"))
    assert result.outcome is Outcome.MEMORY_FAULT
    assert "ending at a guard page" in result.diagnostic


def test_wrong_result_prints_the_first_failing_input(sum_task: Task) -> None:
    result = run_asm(sum_task, sum_task.reference.replace("punpckhdq", "punpckhqdq", 1))
    assert result.outcome is Outcome.TEST_FAILURE
    assert result.diagnostic.startswith("MISMATCH in test ")
    assert "return value: expected " in result.diagnostic and "a[0..] =" in result.diagnostic
    assert result.metrics["abi_violation"] == 0.0


def test_float_mismatch_reports_the_tolerance() -> None:
    task = _task("dot_product", type="f32", unroll=1, align="unaligned")
    result = run_asm(task, task.reference.replace("mulss (%rsi,%rcx,4), %xmm8", "addss (%rsi,%rcx,4), %xmm8"))
    assert result.outcome is Outcome.TEST_FAILURE
    assert "(tolerance " in result.diagnostic


def test_clobbered_callee_saved_register_is_an_abi_violation() -> None:
    task = _task("substring_search", filter="first", unroll=1)
    result = run_asm(task, task.reference.replace("pushq %rbx", "pushq %r11", 1))
    assert result.outcome is Outcome.TEST_FAILURE
    assert "ABI_VIOLATION" in result.diagnostic and "callee-saved register %rbx not preserved" in result.diagnostic
    assert result.metrics["abi_violation"] == 1.0


@pytest.mark.parametrize(
    ("tail", "message"),
    [("std", "direction flag left set"),
     ("movl $0x7f80, -4(%rsp)\n    ldmxcsr -4(%rsp)", "MXCSR control bits changed")],
)  # fmt: skip
def test_abi_state_left_changed_is_reported(sum_task: Task, tail: str, message: str) -> None:
    result = run_asm(sum_task, sum_task.reference.replace("    ret", f"    {tail}\n    ret"))
    assert result.outcome is Outcome.TEST_FAILURE
    assert message in result.diagnostic


def test_narrow_argument_upper_bits_are_garbage() -> None:
    """fill_u32 broadcasting all of %rsi instead of %esi passes only if the caller zero-extends."""
    task = _task("fill", type="u32", unroll=1, align="unaligned")
    wide = task.reference.replace("movd %esi, %xmm0", "movq %rsi, %xmm0").replace(
        "pshufd $0, %xmm0, %xmm0", "punpcklqdq %xmm0, %xmm0")  # fmt: skip
    assert wide != task.reference
    result = run_asm(task, wide)
    assert result.outcome is Outcome.TEST_FAILURE
    assert "dst[1]: expected" in result.diagnostic


def test_endless_loop_is_timeout_at_the_spinning_line(sum_task: Task) -> None:
    result = run_asm(sum_task, sum_task.reference.replace("    addq $1, %rcx\n", "\n"))
    assert result.outcome is Outcome.TIMEOUT
    assert "watchdog" in result.diagnostic and re.search(r"cand\.s:\d+: in sum_i32", result.diagnostic)


def test_illegal_instruction_is_runtime_error(sum_task: Task) -> None:
    result = run_asm(sum_task, sum_task.reference.replace("    ret", "    ud2\n    ret"))
    assert result.outcome is Outcome.RUNTIME_ERROR
    assert "SIGILL" in result.diagnostic


def test_huge_object_is_resource_exceeded(sum_task: Task) -> None:
    result = run_asm(sum_task, sum_task.reference.replace("    ret", "    .fill 200000000, 1, 0\n    ret"))
    assert result.outcome is Outcome.RESOURCE_EXCEEDED
    assert "SIGXFSZ" in result.diagnostic


@pytest.mark.parametrize(
    "escape", ["    movl $60, %eax\n    syscall", '    .incbin "/etc/passwd"', "    call exit@PLT"]
)
def test_system_calls_file_reads_and_outside_calls_are_sandbox_violations(sum_task: Task, escape: str) -> None:
    result = run_asm(sum_task, sum_task.reference.replace("    ret", f"{escape}\n    ret"))
    assert result.outcome is Outcome.SANDBOX_VIOLATION, result.diagnostic


def test_a_broken_harness_is_infra_error_not_a_label(sum_task: Task) -> None:
    result = run_asm(sum_task.model_copy(update={"harness": "int main( {"}), sum_task.reference)
    assert result.outcome is Outcome.INFRA_ERROR
    assert not result.outcome.is_label


def test_a_sandbox_that_cannot_start_is_infra_error(sum_task: Task, monkeypatch: pytest.MonkeyPatch) -> None:
    """bubblewrap really fails (an option it rejects): no tool ran, so no COMPILATION_ERROR label.
    The failure surfaces as `SandboxFailure`, which `Domain.run` (what workers call) reports."""
    if not sandbox.bubblewrap_works():
        pytest.skip("bubblewrap is not in use on this machine")
    monkeypatch.setenv(isolation.SANDBOX_ENV, "bwrap")
    real = isolation._bwrap_args
    monkeypatch.setattr(isolation, "_bwrap_args", lambda path, ro: ["bwrap", "--no-such-option", *real(path, ro)[1:]])
    result = get_domain("asm").run(ExecutionRequest.for_code(sum_task, sum_task.reference, 20.0))
    assert result.outcome is Outcome.INFRA_ERROR
    assert "bwrap: Unknown option --no-such-option" in result.diagnostic
