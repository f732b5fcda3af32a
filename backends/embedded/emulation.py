"""What an emulator run of a firmware image left behind, and which emulator runs it.

Both runners capture the same things: the console (USART1), the bytes sent on every other USART,
the emulator's own log, and how the run ended. The firmware's runtime ends every run with a
sentinel line on the console that carries the run's key ("@@exit <tag> ..." or "@@fault <tag> ...",
`sentinels.py`), so the outcome does not depend on how an emulator reports its exit. The emulator
runs inside the job's sandbox and writes its captures into the workspace; the worker reads them back
only through the workspace's own reads (regular files, no links followed, size-capped), since the
firmware's job may have replaced any of them.

Renode is the reference platform for the STM32F4; QEMU's netduinoplus2 (STM32F405: same core,
memory map and most peripherals) is the default because Renode is not in the package registries
here. `FORGE_EMBEDDED_EMULATOR` = qemu | renode | auto (default: Renode when a `renode` binary is on
PATH, else QEMU).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass

from backends.embedded.sentinels import RunKey
from backends.sandbox import Workspace
from schemas.outcome import Outcome

EMULATOR_ENV = "FORGE_EMBEDDED_EMULATOR"
# USARTs in the order both SoC models number their serial ports (QEMU's serial_hd(i) for
# STM32F405 and Renode's stm32f4.repl names).
USARTS: tuple[str, ...] = ("usart1", "usart2", "usart3", "uart4", "uart5", "usart6")
LOG_READ_BYTES = 4 << 20  # a firmware polling an unmodelled register floods the log; read a bounded prefix


@dataclass(frozen=True)
class EmulatorRun:
    """`uarts` maps a USART name to the bytes it sent; `log` is the emulator's own log (QEMU: its
    unimplemented-device accesses and guest errors), `trace_available` whether that log records
    writes to unmodelled peripherals (it does for QEMU's `-d unimp`); `limit` the sandbox limit
    that ended the run (TIMEOUT for a firmware that never exits), if any."""

    emulator: str
    console: str
    uarts: dict[str, str]
    log: str
    stderr: str
    returncode: int
    limit: Outcome | None
    duration_s: float
    trace_available: bool = True


@dataclass(frozen=True)
class Emulator:
    """One emulator as the backend drives it: `tool` names its binary (the `tool_versions` key),
    `defines` how the runtime is built for it, `inputs` the files its run needs (staged with the
    sources, before anything runs in the workspace: nothing is written there afterwards), `run`
    boots the image `firmware.elf` of a workspace within a wall-clock budget, with the run's
    sentinel key written into RAM from its command line (never from a file)."""

    tool: str
    defines: tuple[str, ...]
    inputs: Callable[[], dict[str, str]]
    run: Callable[[Workspace, float, RunKey], EmulatorRun]
    version: Callable[[], str]


class UnknownEmulator(ValueError):
    """`FORGE_EMBEDDED_EMULATOR` names an emulator we have no runner for."""


def chosen() -> str:
    """The emulator to use: the environment variable, else Renode when installed, else QEMU."""
    mode = os.environ.get(EMULATOR_ENV, "auto")
    if mode == "auto":
        return "renode" if shutil.which("renode") else "qemu"
    if mode not in ("qemu", "renode"):
        raise UnknownEmulator(f"{EMULATOR_ENV}={mode!r}; use qemu, renode or auto")
    return mode


def read_capture(ws: Workspace, name: str) -> str:
    """At most `LOG_READ_BYTES` of a file the emulator wrote (empty when it wrote none). A link, FIFO
    or device in its place raises `UnsafeWorkspaceFile`: the job made it, the worker never follows it."""
    return ws.read_text(name, LOG_READ_BYTES) or ""


def read_uarts(ws: Workspace, usarts: tuple[str, ...]) -> dict[str, str]:
    """What each of `usarts` sent, from the `<usart>.out` file its serial backend wrote."""
    return {usart: read_capture(ws, f"{usart}.out") for usart in usarts}
