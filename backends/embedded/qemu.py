"""Run a firmware image on QEMU's netduinoplus2 (STM32F405) board.

USART1 goes to stdout (the console), the other five USARTs to files; semihosting is on, so the
runtime's SYS_EXIT_EXTENDED ends QEMU with the firmware's status, and `-icount` makes the run
deterministic. `-d unimp,guest_errors` makes
QEMU log every access to a peripheral it does not model (RCC, GPIO, ...) and every bus error with
the faulting address: the first is the trace the harness checks clock enables and GPIO writes
against, the second goes into a MEMORY_FAULT diagnostic.
"""

from __future__ import annotations

import functools
import subprocess

from backends.embedded.emulation import USARTS, EmulatorRun, read_prefix
from backends.embedded.toolchain import ELF
from backends.sandbox import SandboxLimits, Workspace

QEMU = "qemu-system-arm"
MACHINE = "netduinoplus2"
LOG = "qemu.log"
# Virtual time from the instruction count (1 ns per instruction, idle WFI skips ahead): without it
# QEMU's timers follow the host clock, and how many timer interrupts fit in a loop would depend on
# the machine's load. With it a run is deterministic: same firmware, same transcript.
ICOUNT = "shift=0,sleep=off"


@functools.cache
def version() -> str:
    done = subprocess.run([QEMU, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.splitlines()[0].strip() if done.stdout else "unavailable"


def argv() -> list[str]:
    args = [QEMU, "-M", MACHINE, "-nographic", "-monitor", "none", "-serial", "stdio"]
    for usart in USARTS[1:]:
        args += ["-serial", f"file:{usart}.out"]
    return [*args, "-icount", ICOUNT, "-semihosting-config", "enable=on,target=native",
            "-d", "unimp,guest_errors", "-D", LOG, "-kernel", ELF]  # fmt: skip


def run(ws: Workspace, wall_s: float) -> EmulatorRun:
    """Boot the image; a firmware that never exits is killed at `wall_s`."""
    done = ws.run(argv(), limits=SandboxLimits(wall_s=wall_s, cpu_s=int(wall_s) + 5))
    return EmulatorRun(
        emulator="qemu",
        console=done.stdout,
        uarts={usart: read_prefix(ws.path / f"{usart}.out") for usart in USARTS[1:]},
        log=read_prefix(ws.path / LOG),
        stderr=done.stderr,
        returncode=done.returncode,
        limit=done.limit_outcome(),
        duration_s=done.duration_s,
    )
