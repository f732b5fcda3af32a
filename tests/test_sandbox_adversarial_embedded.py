"""Hostile firmware against the embedded backend (issue 14: the sandbox and the worker hold against a
hostile candidate), through `Domain.run` as pool workers call it, in both isolation modes.

The candidate is the golden USART2 driver with a hook at the top of `uart_init()`, the first code the
harness calls, before anything is printed. Hooks speak Arm semihosting directly (`bkpt 0xab`, r0 =
operation, r1 = argument block) or reset the chip. A canary outside the workspace (root's, 0600) must
never show up in a result and stays unchanged; the golden itself still passes in each mode.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends import isolation
from backends.domain import get_domain
from backends.embedded import qemu, renode
from backends.embedded.emulation import EMULATOR_ENV
from backends.embedded.sentinels import RunKey
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

ISOLATED = [m for m in (isolation.Mode.BWRAP, isolation.Mode.UNSHARE) if isolation.works(m)]
SECRET_ENV = "FORGE_OPENAI_API_KEY"

SEMIHOST = """
#include "runtime.h"
static uint32_t semihost(uint32_t op, const void *arg) {
    register uint32_t r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
static uint32_t length(const char *s) {
    uint32_t n = 0U;
    while (s[n] != '\\0') {
        n++;
    }
    return n;
}
static void host_shell(const char *command) {  /* SYS_SYSTEM */
    const uint32_t block[2] = {(uint32_t)command, length(command)};
    (void)semihost(0x12U, block);
}
"""


@pytest.fixture
def canary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A root-only file outside every workspace; checked unread-into-results and unchanged afterwards."""
    secret = tmp_path_factory.mktemp("canary") / "secret"
    secret.write_text(f"CANARY-{uuid.uuid4().hex}\n")
    secret.chmod(0o600)
    before = (secret.read_text(), secret.stat().st_mtime_ns)
    yield secret
    assert (secret.read_text(), secret.stat().st_mtime_ns) == before
    assert [p.name for p in secret.parent.iterdir()] == ["secret"]


@pytest.fixture(params=ISOLATED, ids=str)
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> isolation.Mode:
    monkeypatch.setenv(isolation.SANDBOX_ENV, str(request.param))
    monkeypatch.setenv(EMULATOR_ENV, "qemu")
    monkeypatch.setenv(SECRET_ENV, f"sk-{uuid.uuid4().hex}")  # a worker must never hand its environment on
    return request.param


@pytest.fixture(scope="module")
def task() -> Task:
    seeds = get_domain("embedded").seed_tasks(None)
    return next(t for t in seeds if t.family == "uart_polled_tx" and t.params["usart"] == "USART2")


def hooked(task: Task, hook: str, prelude: str = SEMIHOST) -> str:
    """The golden with `hook` run first thing in `uart_init()`."""
    return prelude + task.reference.replace("void uart_init(void) {", "void uart_init(void) {\n    " + hook, 1)


def run(task: Task, code: str) -> ExecutionResult:
    return get_domain("embedded").run(ExecutionRequest.for_code(task, code, timeout_s=10.0))


def assert_clean(result: ExecutionResult, canary: Path, *marks: str) -> None:
    """Nothing of the canary, the worker's secret or `marks` in what the result says."""
    said = result.diagnostic + repr(result.metrics)
    for secret in (canary.read_text().strip(), canary.read_text().strip()[7:], *marks):
        assert secret not in said, result.diagnostic
    assert os.environ[SECRET_ENV] not in said


def test_golden_still_passes(mode: isolation.Mode, task: Task) -> None:
    result = run(task, hooked(task, ""))
    assert result.outcome is Outcome.PASS, result.diagnostic
    assert result.isolation.startswith(str(mode))


# --- semihosting: no host call reaches the host ------------------------------------------------------


def test_host_shell_through_semihosting_faults_instead(mode: isolation.Mode, task: Task, canary: Path) -> None:
    """The confirmed escape: SYS_SYSTEM runs a shell that swaps the USART2 capture for a link to a
    root-only file, which the worker then read into the diagnostic. Now a BKPT is what it is on a
    board without a debugger: a HardFault, before any host sees the call."""
    command = f"echo HOST-SHELL-$((6*7)); rm -f usart2.out; ln -s {canary} usart2.out"
    result = run(task, hooked(task, f'host_shell("{command}");'))
    assert result.outcome is Outcome.MEMORY_FAULT, result.diagnostic
    assert "@@fault HardFault" in result.diagnostic
    assert_clean(result, canary, "HOST-SHELL-42")


def test_host_files_through_semihosting_stay_closed(mode: isolation.Mode, task: Task, canary: Path) -> None:
    """SYS_OPEN + SYS_READ of a host file, echoed on USART2 where the diff would show it (the job's
    file view already lacked the canary; now the call itself faults)."""
    hook = f"""static char buffer[128];
    const uint32_t open_block[3] = {{(uint32_t)"{canary}", 0U, {len(str(canary))}U}};
    uint32_t handle = semihost(0x01U, open_block);
    const uint32_t read_block[3] = {{handle, (uint32_t)buffer, sizeof buffer - 1U}};
    (void)semihost(0x06U, read_block);
    uart_write(buffer);"""
    result = run(task, hooked(task, hook))
    assert result.outcome is Outcome.MEMORY_FAULT, result.diagnostic
    assert_clean(result, canary)


@pytest.mark.parametrize(
    "hook, outcome",
    [
        # SYS_EXIT (ADP_Stopped_ApplicationExit): a BKPT without a debugger
        ("(void)semihost(0x18U, (const void *)0x20026U);", Outcome.MEMORY_FAULT),
        # SYSRESETREQ: QEMU ends, with no exit line
        ("SCB->AIRCR = (0x5FAUL << 16) | (1UL << 2);\n    for (;;) {\n    }", Outcome.RUNTIME_ERROR),
    ],
    ids=["semihosting-exit", "system-reset"],
)
def test_silent_early_exit_is_the_candidates_outcome(
    mode: isolation.Mode, task: Task, hook: str, outcome: Outcome
) -> None:
    """Firmware that stops the emulator before anything is printed used to be INFRA_ERROR (retried,
    never a label); the emulator still runs a trusted image, so it is the candidate's doing."""
    result = run(task, hooked(task, hook))
    assert result.outcome is outcome, result.diagnostic


def test_seccomp_stops_a_host_shell_even_with_semihosting_on(
    mode: isolation.Mode, task: Task, canary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were semihosting ever turned back on, QEMU's own seccomp filter (`-sandbox`) kills the process
    at the shell's fork: SANDBOX_VIOLATION, and the run-time exit path still works beside it."""
    semihosting = ["-semihosting-config", "enable=on,target=native"]
    real_argv = qemu.argv
    monkeypatch.setattr(qemu, "argv", lambda key: [*real_argv(key)[:-2], *semihosting, *real_argv(key)[-2:]])
    assert run(task, hooked(task, "")).outcome is Outcome.PASS
    result = run(task, hooked(task, f'host_shell("ln -s {canary} usart2.out");'))
    assert result.outcome is Outcome.SANDBOX_VIOLATION, result.diagnostic
    assert_clean(result, canary)


def test_worker_follows_no_link_in_place_of_a_capture(
    mode: isolation.Mode, task: Task, canary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even with semihosting on and no seccomp (the old command line), the worker reads the USART
    captures and QEMU's log without following the links the firmware's shell put in their place."""
    real_argv = qemu.argv

    def old(key: RunKey) -> list[str]:
        args = real_argv(key)
        del args[args.index("-sandbox") : args.index("-sandbox") + 2]
        return [*args[:-2], "-semihosting-config", "enable=on,target=native", *args[-2:]]

    monkeypatch.setattr(qemu, "argv", old)
    command = (
        f"rm -f usart2.out usart3.out qemu.log; ln -s {canary} usart2.out; "
        "ln -s /proc/self/environ usart3.out; ln -s /proc/self/environ qemu.log"
    )
    result = run(task, hooked(task, f'host_shell("{command}");'))
    assert result.outcome is Outcome.SANDBOX_VIOLATION, result.diagnostic
    assert_clean(result, canary)


@pytest.mark.parametrize("pull", ['#include "{canary}"', '__asm__(".incbin \\"{canary}\\"");',
                                  '#include "/proc/self/environ"', '#include "/proc/1/environ"'],
                         ids=["include", "incbin", "own-environ", "pid1-environ"])  # fmt: skip
def test_the_build_reads_no_host_file_or_secret(mode: isolation.Mode, task: Task, canary: Path, pull: str) -> None:
    """gcc reads what the source names, inside the job: not the canary (absent there), and no environment
    but the job's scrubbed one (gcc reads a /proc environ as empty; a file it quotes would be in the error)."""
    result = run(task, hooked(task, "", pull.format(canary=canary) + "\n"))
    assert result.outcome in (Outcome.COMPILATION_ERROR, Outcome.PASS), result.diagnostic
    assert_clean(result, canary)


# --- nothing the candidate writes becomes INFRA_ERROR ---------------------------------------------------


RAW_CONSOLE = """
#include "stm32f407.h"
static void raw_putc(char c) {  /* USART1 written directly: the runtime's console is not the candidate's */
    while ((USART1->SR & USART_SR_TXE) == 0U) {
    }
    USART1->DR = (uint8_t)c;
}
static void raw_puts(const char *s) {
    while (*s != '\\0') {
        raw_putc(*s++);
    }
}
"""


@pytest.mark.parametrize(
    "prelude, hook",
    [
        # a section name that is not UTF-8 (the ELF reader decoded names strictly)
        ('__asm__(".section \\".x\\\\377\\\\376\\",\\"\\"\\n.byte 1\\n.previous");\n', ""),
        # sentinel lines the verdict once choked on: an empty fault kind, an exit status int() refuses
        (RAW_CONSOLE, 'raw_puts("@@fault \\n");'),
        (RAW_CONSOLE, 'raw_puts("@@exit "); for (int i = 0; i < 5000; i++) { raw_putc(\'9\'); } raw_putc(\'\\n\');'),
    ],
    ids=["non-utf8-section", "empty-fault", "huge-exit-status"],
)  # fmt: skip
def test_odd_images_and_sentinels_are_candidate_outcomes(
    mode: isolation.Mode, task: Task, prelude: str, hook: str
) -> None:
    result = run(task, hooked(task, hook, prelude))
    assert result.outcome is not Outcome.INFRA_ERROR, result.diagnostic


def test_a_broken_emulator_is_infra_error(mode: isolation.Mode, task: Task, monkeypatch: pytest.MonkeyPatch) -> None:
    """The converse: when QEMU fails the trusted image too, the infrastructure broke."""
    monkeypatch.setattr(qemu, "argv", lambda key: [qemu.QEMU, "-M", "no-such-board"])
    result = run(task, task.reference)
    assert result.outcome is Outcome.INFRA_ERROR, result.diagnostic


def test_emulator_inputs_are_staged_before_anything_runs(
    mode: isolation.Mode, task: Task, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renode's script used to be written after gcc had run in the workspace; a stand-in `renode`
    (`true`: runs the script, prints nothing) shows the run now gets that far, as a hung firmware."""
    monkeypatch.setenv(EMULATOR_ENV, "renode")
    monkeypatch.setattr(renode, "RENODE", "true")
    result = run(task, task.reference)
    assert result.outcome is Outcome.TIMEOUT, result.diagnostic
