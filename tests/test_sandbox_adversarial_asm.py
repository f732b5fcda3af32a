"""Hostile assembly kernels against the worker around the sandbox (issue 14): INFRA_ERROR comes only
from what the worker observed, never from what the candidate printed or exited with, and host files
stay out of reach.

The candidate runs inside the harness process, so its exit status and both output streams are its
own. The mnemonic gate does not see a system call spelled as bytes (`.byte 0x0f, 0x05`; closing
that is issue 15's); these kernels use it to print what they like and exit with any status, which
is what any kernel that reaches the kernel could do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from backends import isolation
from backends.asm.domain import task_from_kernel
from backends.asm.families import FAMILIES
from backends.domain import get_domain
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

SECRET = "forge-canary-5c02e7"
RAW_SYSCALL = ".byte 0x0f, 0x05"
SYS_READ, SYS_WRITE, SYS_OPEN, SYS_EXIT_GROUP = 0, 1, 2, 231
O_WRONLY_TRUNC = 0o1001


@dataclass(frozen=True)
class Canary:
    """A root-only file outside every workspace; no result may show it, no job may change it."""

    path: Path
    mtime_ns: int

    def assert_untouched(self, result: ExecutionResult) -> None:
        assert SECRET not in result.diagnostic
        assert self.path.read_text() == SECRET
        assert self.path.stat().st_mtime_ns == self.mtime_ns


@pytest.fixture
def canary(tmp_path: Path) -> Canary:
    path = tmp_path / "canary"
    path.write_text(SECRET)
    path.chmod(0o600)
    return Canary(path, path.stat().st_mtime_ns)


@pytest.fixture(params=["bwrap", "unshare"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each isolation mode that can run here (`isolation.chosen()` reads the variable on every job)."""
    if not isolation.works(isolation.Mode(request.param)):
        pytest.skip(f"the {request.param} isolation cannot run on this machine")
    monkeypatch.setenv(isolation.SANDBOX_ENV, request.param)
    return request.param


@pytest.fixture(scope="module")
def sum_task() -> Task:
    """int64_t sum_i32(const int32_t *a, size_t n), AT&T."""
    kernel = next(k for k in FAMILIES["array_sum"].kernels() if k.params["type"] == "i32")
    return task_from_kernel(kernel, "att")


def _judge(task: Task, code: str) -> ExecutionResult:
    """The candidate through `Domain.run`, as a pool worker runs it."""
    return get_domain("asm").run(ExecutionRequest.for_code(task, code, 20.0))


def _kernel(symbol: str, body: list[str], data: list[str]) -> str:
    """A whole candidate: `body` as the function, `data` in .rodata."""
    lines = ["    .text", f"    .globl {symbol}", f"    .type {symbol}, @function", f"{symbol}:"]
    return "\n".join([*lines, *(f"    {ln}" for ln in body), "    .section .rodata", *data, ""])


def _write(fd: int, label: str) -> list[str]:
    return [f"movl ${SYS_WRITE}, %eax", f"movl ${fd}, %edi", f"leaq {label}(%rip), %rsi",
            f"movl ${label}_end - {label}, %edx", RAW_SYSCALL]  # fmt: skip


def _exit(status: int) -> list[str]:
    return [f"movl ${SYS_EXIT_GROUP}, %eax", f"movl ${status}, %edi", RAW_SYSCALL]


def test_honest_kernel_passes_in_each_mode(sum_task: Task, mode: str) -> None:
    result = _judge(sum_task, sum_task.reference)
    assert result.outcome is Outcome.PASS, result.diagnostic
    assert result.isolation.startswith(mode)


@pytest.mark.parametrize(
    ("stream", "text", "status"),
    [
        (2, "bwrap: Can't mount proc on /newroot/proc: Operation not permitted", 1),
        (2, "prlimit: failed to set the RLIMIT_AS resource: Operation not permitted", 1),
        (2, "bwrap: setting up uid map: Permission denied", 125),
        (1, "INFRA this CPU lacks sse4.2, which the task's ISA (x86-64-v2) includes", 3),
        (2, "/bin/sh: 1: exec: ./harness: not found", 127),
    ],
)  # fmt: skip
def test_forged_infrastructure_failures_are_the_candidates_outcome(
    sum_task: Task, mode: str, stream: int, text: str, status: int
) -> None:
    """The words and exit statuses of a sandbox or machine failure, printed by the kernel itself:
    labelled as what the candidate did, never INFRA_ERROR (which is retried and never a label)."""
    code = _kernel("sum_i32", [*_write(stream, ".Lmsg"), *_exit(status)], [f'.Lmsg: .ascii "{text}\\n"', ".Lmsg_end:"])
    result = _judge(sum_task, code)
    assert result.outcome is not Outcome.INFRA_ERROR, result.diagnostic
    assert result.outcome.is_label and result.outcome is not Outcome.PASS


def test_host_files_stay_out_of_reach(sum_task: Task, mode: str, canary: Canary) -> None:
    """The kernel opens the canary by its host path, copies what it reads to stdout, then tries to
    truncate it: inside the sandbox that path does not exist."""
    body = [
        f"movl ${SYS_OPEN}, %eax", "leaq .Lpath(%rip), %rdi", "xorl %esi, %esi", RAW_SYSCALL,
        "testl %eax, %eax", "js .Lwrite_back",
        "movl %eax, %edi", f"movl ${SYS_READ}, %eax", "subq $4096, %rsp", "movq %rsp, %rsi", "movl $4096, %edx",
        RAW_SYSCALL,
        "movl %eax, %edx", f"movl ${SYS_WRITE}, %eax", "movl $1, %edi", "movq %rsp, %rsi", RAW_SYSCALL,
        ".Lwrite_back:",
        f"movl ${SYS_OPEN}, %eax", "leaq .Lpath(%rip), %rdi", f"movl ${O_WRONLY_TRUNC}, %esi", RAW_SYSCALL,
        "testl %eax, %eax", "js .Lout",
        "movl %eax, %edi", f"movl ${SYS_WRITE}, %eax", "leaq .Lpwned(%rip), %rsi", "movl $5, %edx", RAW_SYSCALL,
        ".Lout:", *_exit(0),
    ]  # fmt: skip
    data = [f'.Lpath: .asciz "{canary.path}"', '.Lpwned: .ascii "pwned"']
    result = _judge(sum_task, _kernel("sum_i32", body, data))
    assert result.outcome is Outcome.RUNTIME_ERROR, result.diagnostic
    canary.assert_untouched(result)
