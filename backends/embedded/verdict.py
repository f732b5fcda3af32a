"""Turn an emulator run into an outcome: the firmware's sentinel lines first, then the transcripts.

- "@@fault HardFault/MemManage/BusFault/UsageFault ..." -> MEMORY_FAULT, with the fault line, the
  faulting pc/lr as `function at solution.c:LINE` and the emulator's bus-error lines;
- "@@fault unhandled IRQ n" (an interrupt enabled with no handler behind it) -> RUNTIME_ERROR;
- no "@@exit" before the wall-clock limit -> TIMEOUT (hung firmware), with the console so far;
- the emulator ended without an "@@exit" (the firmware reset the chip, crashed the emulator...) ->
  RUNTIME_ERROR, unless the emulator fails the same way on a trusted image (`emulator_works`): only
  then INFRA_ERROR, so that label never depends on what the candidate printed or withheld;
- a non-zero exit status -> RUNTIME_ERROR;
- console, USART and register-write transcripts that differ from the reference -> TEST_FAILURE,
  with a unified diff of each; otherwise PASS.
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
from schemas.outcome import Outcome

_EXIT = re.compile(r"^@@exit (-?[0-9]{1,10})\s*$", re.MULTILINE)  # bounded: int() refuses 4301 digits
_FAULT = re.compile(r"^@@fault (.*)$", re.MULTILINE)
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


def exit_status(console: str) -> int | None:
    """The status of the console's "@@exit" line; None when it has none."""
    found = _EXIT.search(console)
    return None if found is None else int(found.group(1))


def _sentinel_free(console: str) -> str:
    return "".join(line + "\n" for line in console.splitlines() if not line.startswith("@@") and line.strip())


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
    lines = list(difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), f"expected/{name}", f"actual/{name}", n=1, lineterm=""
    ))  # fmt: skip
    if len(lines) > DIFF_LINES:
        return [*lines[:DIFF_LINES], f"[... {len(lines) - DIFF_LINES} more diff lines]"]
    return lines


def _compare(run: EmulatorRun, harness: Harness) -> tuple[list[str], dict[str, float]]:
    """Diff lines for every channel that differs, and counts for the metrics."""
    report: list[str] = []
    channels = {CONSOLE: (harness.console, _sentinel_free(run.console))}
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


def judge(
    run: EmulatorRun, harness: Harness, symbolize: Symbolize, frames: list[str], emulator_works: EmulatorWorks
) -> Verdict:
    """The outcome of one run against the task's harness (see the module docstring); `frames` are
    the candidate's deepest stack frames, reported when a fault lost the stacked pc; `emulator_works`
    runs a trusted image, asked only when the emulator ended without the firmware's exit line."""
    if fault := _FAULT.search(run.console):
        return _fault(run, fault.group(1).strip(), symbolize, frames)
    status = exit_status(run.console)
    if status is None:
        if run.limit is Outcome.TIMEOUT:
            console = _tail(run.console) or "(nothing)"
            return Verdict(Outcome.TIMEOUT, trim(f"firmware did not exit: console so far:\n{console}"))
        if run.limit is not None:
            return Verdict(run.limit, trim(f"{run.stderr}\n{_tail(run.console)}"))
        if lockup := [m.group(0) for m in _GUEST_ERROR.finditer(run.stderr + run.log) if "ockup" in m.group(0)]:
            return Verdict(Outcome.MEMORY_FAULT, trim("\n".join(lockup)))
        if not emulator_works():
            return Verdict(Outcome.INFRA_ERROR, trim(f"{run.emulator} fails a trusted image too:\n{run.stderr}"))
        ended = f"{run.emulator} ended without the firmware's exit line (exit status {run.returncode})"
        return Verdict(Outcome.RUNTIME_ERROR, trim(f"{ended}:\n{run.stderr}"))
    if status != 0:
        return Verdict(Outcome.RUNTIME_ERROR, trim(f"firmware exited with status {status}\n{_tail(run.console)}"))
    report, metrics = _compare(run, harness)
    if report:
        return Verdict(Outcome.TEST_FAILURE, trim("\n".join(report)), metrics)
    return Verdict(Outcome.PASS, "", metrics)
