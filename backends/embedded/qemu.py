"""Run a firmware image on QEMU's netduinoplus2 (STM32F405) board.

USART1 goes to stdout (the console), the other five USARTs to files, and `-icount` makes the run
deterministic. `-d unimp,guest_errors` makes QEMU log every access to a peripheral it does not model
(RCC, GPIO, ...) and every bus error with the faulting address: the first is the trace the harness
checks clock enables and GPIO writes against, the second goes into a MEMORY_FAULT diagnostic.

The firmware gets no door to the host. Semihosting stays off (it would give the image the host's
files and a shell: SYS_OPEN, SYS_REMOVE, SYS_SYSTEM), so a `bkpt 0xab` faults as on a board with no
debugger attached. The runtime ends a run with a system reset request, which `-no-reboot` turns into
QEMU's exit. `-sandbox` adds QEMU's own seccomp filter under the job's sandbox: no process spawned, no
privileges or resource controls changed; a process it kills ends SANDBOX_VIOLATION. The run's
sentinel key reaches RAM through two `-device loader` options (`RunKey.loader_args`).
"""

from __future__ import annotations

import functools
import signal
import subprocess

from backends.embedded.emulation import USARTS, Emulator, EmulatorRun, read_capture, read_uarts
from backends.embedded.sentinels import RunKey
from backends.embedded.toolchain import ELF
from backends.sandbox import SandboxLimits, Workspace
from schemas.outcome import Outcome

QEMU = "qemu-system-arm"
MACHINE = "netduinoplus2"
LOG = "qemu.log"
# Virtual time from the instruction count (1 ns per instruction, idle WFI skips ahead): without it
# QEMU's timers follow the host clock, and how many timer interrupts fit in a loop would depend on
# the machine's load. With it a run is deterministic: same firmware, same transcript.
ICOUNT = "shift=0,sleep=off"
SECCOMP = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"


@functools.cache
def version() -> str:
    done = subprocess.run([QEMU, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.splitlines()[0].strip() if done.stdout else "unavailable"


def argv(key: RunKey) -> list[str]:
    args = [QEMU, "-M", MACHINE, "-nographic", "-monitor", "none", "-serial", "stdio"]
    for usart in USARTS[1:]:
        args += ["-serial", f"file:{usart}.out"]
    return [*args, "-icount", ICOUNT, "-no-reboot", "-sandbox", SECCOMP, *key.loader_args(),
            "-d", "unimp,guest_errors", "-D", LOG, "-kernel", ELF]  # fmt: skip


def run(ws: Workspace, wall_s: float, key: RunKey) -> EmulatorRun:
    """Boot the image; a firmware that never exits is killed at `wall_s`."""
    done = ws.run(argv(key), limits=SandboxLimits(wall_s=wall_s, cpu_s=int(wall_s) + 5))
    limit = done.limit_outcome()
    if limit is None and done.signal == signal.SIGSYS:  # QEMU's seccomp filter stopped a system call
        limit = Outcome.SANDBOX_VIOLATION
    return EmulatorRun(
        emulator="qemu",
        console=done.stdout,
        uarts=read_uarts(ws, USARTS[1:]),
        log=read_capture(ws, LOG),
        stderr=done.stderr,
        returncode=done.returncode,
        limit=limit,
        duration_s=done.duration_s,
    )


EMULATOR = Emulator(tool=QEMU, defines=(), inputs=dict, run=run, version=version)
