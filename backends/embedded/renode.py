"""Run a firmware image on Renode's STM32F4 platform, when a `renode` binary is installed.

A `.resc` script loads `platforms/cpus/stm32f4.repl`, the ELF, puts a file backend on every USART
the platform has; it is staged with the sources, before anything runs in the workspace. The command
line then writes the run's sentinel key into RAM (so no file holds it), runs a fixed stretch of
emulated time and quits. The firmware is built with PARK_ON_EXIT (the runtime
then parks the core after its "@@exit" line instead of requesting the reset that ends QEMU), so the
console sentinel alone says how the run ended. Renode models RCC and GPIO as real peripherals and
keeps no access log here, so the register-write checks that the QEMU trace allows are not evaluated
(`trace_available` is False; the result's metrics say so).
"""

from __future__ import annotations

import functools
import subprocess

from backends.embedded.emulation import USARTS, Emulator, EmulatorRun, read_capture, read_uarts
from backends.embedded.sentinels import RunKey
from backends.embedded.toolchain import ELF
from backends.sandbox import SandboxLimits, Workspace
from schemas.outcome import Outcome

RENODE = "renode"
SCRIPT = "run.resc"
DEFINES: tuple[str, ...] = ("PARK_ON_EXIT",)
EMULATED_S = 2.0  # emulated seconds; every seed firmware finishes in well under 0.1 s of guest time
RENODE_USARTS = USARTS[:5]  # stm32f4.repl defines usart1..3, uart4, uart5 (no usart6)


@functools.cache
def version() -> str:
    done = subprocess.run([RENODE, "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "unavailable"


def script() -> str:
    lines = [
        'mach create "stm32f407"',
        "machine LoadPlatformDescription @platforms/cpus/stm32f4.repl",
        f"sysbus LoadELF @{ELF}",
        *(f"sysbus.{usart} CreateFileBackend @{usart}.out true" for usart in RENODE_USARTS),
    ]
    return "\n".join(lines) + "\n"


def inputs() -> dict[str, str]:
    return {SCRIPT: script()}


def commands(key: RunKey) -> list[str]:
    """Monitor commands after the script: the key into RAM, the run, the end."""
    writes = [f"sysbus WriteDoubleWord 0x{address:08x} 0x{value:08x}" for address, value in key.words()]
    return [f"include @{SCRIPT}", *writes, f'emulation RunFor "{EMULATED_S}"', "quit"]


def run(ws: Workspace, wall_s: float, key: RunKey) -> EmulatorRun:
    """Run the image for `EMULATED_S` of emulated time; Renode's own start-up needs a few seconds more."""
    executed = [arg for command in commands(key) for arg in ("-e", command)]
    done = ws.run([RENODE, "--console", "--plain", "--disable-gui", *executed],
                  limits=SandboxLimits(wall_s=wall_s + 20, cpu_s=int(wall_s) + 60))  # fmt: skip
    console = read_capture(ws, f"{RENODE_USARTS[0]}.out")
    # Renode stops on its own after EMULATED_S: a firmware still running then is a hung firmware.
    finished = "@@exit" in console or "@@fault" in console
    return EmulatorRun(
        emulator="renode",
        console=console,
        uarts=read_uarts(ws, RENODE_USARTS[1:]),
        log=done.stdout,
        stderr=done.stderr,
        returncode=done.returncode,
        limit=done.limit_outcome() or (None if finished else Outcome.TIMEOUT),
        duration_s=done.duration_s,
        trace_available=False,
    )


EMULATOR = Emulator(tool=RENODE, defines=DEFINES, inputs=inputs, run=run, version=version)
