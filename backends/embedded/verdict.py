"""Turn an emulator run into an outcome: the console's authenticated last line first, then the transcripts.

Only the console's last line is read as a sentinel, and only with this run's key (`sentinels.py`);
everything before it is transcript, compared whole and in order, so a "@@..." line the candidate
prints is text that makes the transcript differ, never a verdict.

- "@@fault <tag> HardFault/MemManage/BusFault/UsageFault ..." -> MEMORY_FAULT, with the fault line,
  the faulting pc/lr as `function at solution.c:LINE` and the emulator's bus-error lines;
- "@@fault <tag> unhandled IRQ n" (an interrupt enabled with no handler behind it) -> RUNTIME_ERROR;
- no authenticated line before the wall-clock limit -> TIMEOUT (hung firmware), with the console so far;
- the emulator ended without one (the firmware reset the chip, crashed the emulator, or printed a
  sentinel of its own) -> RUNTIME_ERROR, unless the emulator fails the same way on a trusted image
  (`emulator_works`): only then INFRA_ERROR, so that label never depends on what the candidate printed;
- "@@exit <tag> <status> <digest>" with a non-zero status -> RUNTIME_ERROR;
- console, USART and register-write transcripts that differ from the reference, or a console the
  runtime's digest says it did not send alone -> TEST_FAILURE, with a unified diff of each; otherwise PASS.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from backends.diagnostic import trim
from backends.embedded import bus
from backends.embedded.emulation import EmulatorRun
from backends.embedded.firmware import CONSOLE, Harness
from backends.embedded.sentinels import Exit, Fault, RunKey, ending
from schemas.outcome import Outcome

_ADDRESS = re.compile(r"\b(pc|lr)=0x([0-9a-f]{8})")
_GUEST_ERROR = re.compile(r"^(Invalid (read|write) at addr .*|.*[Ll]ockup.*)$", re.MULTILINE)
_MEMORY_FAULTS = ("HardFault", "MemManage", "BusFault", "UsageFault")
DIFF_LINES = 40
Symbolize = Callable[[list[int]], list[str]]
EmulatorWorks = Callable[[], bool]


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    diagnostic: str
    metrics: dict[str, float] = field(default_factory=dict)


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _fault(run: EmulatorRun, line: str, symbolize: Symbolize, frames: list[str]) -> Verdict:
    kind = line.partition(" ")[0]
    addresses = [int(value, 16) for _, value in _ADDRESS.findall(line)][:2]  # the stacked pc and lr
    where = [f"{name} {place}" for name, place in zip(("pc", "lr"), symbolize(addresses), strict=False)]
    errors = [m.group(0) for m in _GUEST_ERROR.finditer(run.log)][:5]
    if not addresses and frames:  # the stacked pc was lost with the stack: say which frames are deep
        where = ["deepest stack frames (gcc -fstack-usage):", *frames]
    words = "\n".join([f"@@fault {line}", *where, *errors])
    outcome = Outcome.MEMORY_FAULT if kind in _MEMORY_FAULTS else Outcome.RUNTIME_ERROR
    return Verdict(outcome, trim(words), {"fault": 1.0})


def _diff(name: str, expected: str, actual: str) -> list[str]:
    """A unified diff split at "\n" only, so a stray "\r" or a missing last newline shows too."""
    lines = list(difflib.unified_diff(
        expected.split("\n"), actual.split("\n"), f"expected/{name}", f"actual/{name}", n=1, lineterm=""
    ))  # fmt: skip
    if len(lines) > DIFF_LINES:
        return [*lines[:DIFF_LINES], f"[... {len(lines) - DIFF_LINES} more diff lines]"]
    return lines


FOREIGN_BYTES = (f"{CONSOLE}: the runtime's digest does not match the console: bytes on USART1 that the harness "
                 "did not send (or harness bytes that never arrived); USART1 is the harness's channel")


def _compare(run: EmulatorRun, harness: Harness, end: Exit) -> tuple[list[str], dict[str, float]]:
    """Diff lines for every channel that differs, and counts for the metrics."""
    report: list[str] = [] if end.authentic else [FOREIGN_BYTES]
    channels = {CONSOLE: (harness.console, end.body)}
    channels |= {usart: (text, run.uarts.get(usart, "")) for usart, text in harness.uarts.items()}
    metrics = {"console_lines": float(len(channels[CONSOLE][1].splitlines())), "bus_checked": 0.0}
    if run.trace_available and (harness.watch or harness.checks):
        found = bus.writes(run.log)
        if harness.watch:
            channels["bus"] = (harness.bus, bus.transcript(found, harness.watch))
        report += bus.failed_checks(found, harness.checks)
        metrics["bus_checked"] = 1.0
    for name, (expected, actual) in channels.items():
        if expected != actual:
            report += _diff(name, expected, actual)
    metrics["mismatches"] = float(sum(1 for line in report if not line.startswith(("---", "+++", "@@", " "))))
    return report, metrics


def _unfinished(run: EmulatorRun, emulator_works: EmulatorWorks) -> Verdict:
    """The run ended without the runtime's last line: the limit that stopped it, or the firmware's doing."""
    if run.limit is Outcome.TIMEOUT:
        console = _tail(run.console) or "(nothing)"
        return Verdict(Outcome.TIMEOUT, trim(f"firmware did not exit: console so far:\n{console}"))
    if run.limit is not None:
        return Verdict(run.limit, trim(f"{run.stderr}\n{_tail(run.console)}"))
    if lockup := [m.group(0) for m in _GUEST_ERROR.finditer(run.stderr + run.log) if "ockup" in m.group(0)]:
        return Verdict(Outcome.MEMORY_FAULT, trim("\n".join(lockup)))
    if not emulator_works():
        return Verdict(Outcome.INFRA_ERROR, trim(f"{run.emulator} fails a trusted image too:\n{run.stderr}"))
    ended = f"{run.emulator} ended without the harness's exit line (exit status {run.returncode})"
    return Verdict(Outcome.RUNTIME_ERROR, trim(f"{ended}:\n{run.stderr}\n{_tail(run.console)}"))


def judge(
    run: EmulatorRun,
    harness: Harness,
    key: RunKey,
    symbolize: Symbolize,
    frames: list[str],
    emulator_works: EmulatorWorks,
) -> Verdict:
    """The outcome of one run against the task's harness (see the module docstring); `key` is the
    run's sentinel key, `frames` the candidate's deepest stack frames, reported when a fault lost the
    stacked pc; `emulator_works` runs a trusted image, asked only when the run ended unfinished."""
    end = ending(run.console, key)
    if isinstance(end, Fault):
        return _fault(run, end.what, symbolize, frames)
    if end is None:
        return _unfinished(run, emulator_works)
    if end.status != 0:
        return Verdict(Outcome.RUNTIME_ERROR, trim(f"firmware exited with status {end.status}\n{_tail(end.body)}"))
    report, metrics = _compare(run, harness, end)
    if report:
        return Verdict(Outcome.TEST_FAILURE, trim("\n".join(report)), metrics)
    return Verdict(Outcome.PASS, "", metrics)
