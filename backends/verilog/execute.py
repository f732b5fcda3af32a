"""Run a Verilog candidate through the real tools and map what they say to the outcome taxonomy.

Order: a static gate on file-system system tasks (SANDBOX_VIOLATION), Icarus compile
(COMPILATION_ERROR), Icarus simulation against the task's self-checking testbench (TEST_FAILURE
with the mismatch count, TIMEOUT when $finish is never reached, RUNTIME_ERROR when the simulation
stops early). A design that simulates correctly is then linted by Verilator (warnings kept as the
diagnostic; its errors are a COMPILATION_ERROR), synthesised by Yosys (cells, transistor estimate,
logic depth into `metrics`) and checked for formal equivalence against the golden reference with
Yosys' equiv passes.

Every input is written before the first tool runs (the workspace is sealed afterwards); the reports
Yosys writes are read back through the workspace (`Workspace.read_text`), which refuses a link or
FIFO in their place: the worker never follows an entry that code in the sandbox could have made.
"""

from __future__ import annotations

import functools
import re
import subprocess
import time

from backends.diagnostic import trim
from backends.sandbox import SandboxLimits, SandboxRun, Workspace, workspace
from backends.verilog.testbench import MISMATCH_PREFIX, RESULT_PREFIX
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.outcome import Outcome

CANDIDATE_FILE = "{top}.v"  # Verilator wants the file named after the module
HARNESS_FILE = "tb.v"
GOLDEN_FILE = "golden.v"
# File-touching system tasks: a path that leaves the workspace is an attempt to escape it.
_FILE_TASK = re.compile(r"\$(fopen|readmem[bh]|writemem[bh]|dumpfile)\s*\(\s*\"([^\"]*)\"")
_SYSTEM_TASK = re.compile(r"\$system\b")
_RESULT = re.compile(rf"{RESULT_PREFIX} mismatches=(\d+) cycles=(\d+)")
_STAT = {
    "cells": re.compile(r"Number of cells:\s+(\d+)"),
    "transistors": re.compile(r"Estimated number of transistors:\s+(\d+)"),
    "logic_depth": re.compile(r"Longest topological path in \S+ \(length=(\d+)\)"),
}
_EQUIV = re.compile(r"Of those cells (\d+) are proven and (\d+) are unproven")


@functools.cache
def tool_versions() -> dict[str, str]:
    """Versions of the tools, read once per process (trusted commands, outside the sandbox)."""

    def first_line(argv: list[str]) -> str:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        return (done.stdout or done.stderr).strip().splitlines()[0]

    return {
        "iverilog": first_line(["iverilog", "-V"]),
        "yosys": first_line(["yosys", "-V"]),
        "verilator": first_line(["verilator", "--version"]),
    }


def sandbox_violation(code: str) -> str | None:
    """Why the candidate may not run, or None."""
    if _SYSTEM_TASK.search(code):
        return "$system is not allowed: candidates may not run shell commands"
    for match in _FILE_TASK.finditer(code):
        path = match.group(2)
        if path.startswith("/") or ".." in path.split("/"):
            return f"${match.group(1)}(\"{path}\") reaches outside the working directory"
    return None


def _output(run: SandboxRun) -> str:
    return "\n".join(part for part in (run.stderr.strip(), run.stdout.strip()) if part)


def _simulation_outcome(run: SandboxRun) -> tuple[Outcome, str, dict[str, float]]:
    limit = run.limit_outcome()
    if limit is Outcome.TIMEOUT:
        return limit, trim(f"simulation did not reach $finish within the time limit\n{_output(run)}"), {}
    if limit is not None:
        return limit, trim(_output(run)), {}
    result = _RESULT.search(run.stdout)
    if result is None:
        return Outcome.RUNTIME_ERROR, trim(f"simulation ended before the testbench finished\n{_output(run)}"), {}
    mismatches, cycles = int(result.group(1)), int(result.group(2))
    metrics = {"mismatches": float(mismatches), "sim_cycles": float(cycles)}
    if mismatches:
        lines = [ln for ln in run.stdout.splitlines() if ln.startswith((MISMATCH_PREFIX, RESULT_PREFIX))]
        return Outcome.TEST_FAILURE, trim("\n".join(lines)), metrics
    return Outcome.PASS, "", metrics


def _report(ws: Workspace, *names: str) -> str:
    """The reports Yosys wrote, read without following links (a missing one reads as empty)."""
    return "".join(ws.read_text(name) or "" for name in names)


def _synthesis_metrics(ws: Workspace, top: str, source: str) -> tuple[dict[str, float], str]:
    run = ws.run(["yosys", "-q", "-p", f"read_verilog -sv {source}; synth -flatten -top {top}; "
                  "tee -o stat.txt stat -tech cmos; tee -o ltp.txt ltp -noff"])
    if not run.ok:
        return {"synth_ok": 0.0}, f"yosys synthesis failed:\n{_output(run)}"
    report = _report(ws, "stat.txt", "ltp.txt")
    metrics = {"synth_ok": 1.0}
    for name, pattern in _STAT.items():
        if found := pattern.search(report):
            metrics[name] = float(found.group(1))
    return metrics, ""


def _equivalence_metrics(ws: Workspace, top: str, candidate: str) -> dict[str, float]:
    """The script travels on Yosys' command line, not as a file the workspace would have to hold
    from before the first run (where the candidate's simulation could replace it)."""
    script = "; ".join(
        [
            f"read_verilog -sv {GOLDEN_FILE}", f"prep -top {top}", f"rename {top} gold", "design -stash gold",
            f"read_verilog -sv {candidate}", f"prep -top {top}", f"rename {top} gate", "design -stash gate",
            "design -copy-from gold -as gold gold", "design -copy-from gate -as gate gate",
            "equiv_make gold gate equiv", "hierarchy -top equiv", "equiv_simple -seq 5", "equiv_induct -seq 5",
            "tee -o equiv.txt equiv_status",
        ]
    )
    run = ws.run(["yosys", "-q", "-p", script])
    found = _EQUIV.search(_report(ws, "equiv.txt")) if run.ok else None
    if found is None:
        return {"equiv_checked": 0.0}
    unproven = float(found.group(2))
    return {"equiv_checked": 1.0, "equiv_unproven": unproven, "equiv_proven": float(unproven == 0)}


def execute(request: ExecutionRequest) -> ExecutionResult:
    """Compile, simulate and (when correct) lint, synthesise and prove the candidate."""
    started = time.monotonic()
    task = request.task
    top = task.environment["top"]

    def result(outcome: Outcome, diagnostic: str, metrics: dict[str, float] | None = None) -> ExecutionResult:
        return ExecutionResult(
            request_id=request.request_id,
            outcome=outcome,
            diagnostic=diagnostic,
            metrics=metrics or {},
            duration_s=time.monotonic() - started,
            tool_versions=tool_versions(),
        )

    if violation := sandbox_violation(request.code):
        return result(Outcome.SANDBOX_VIOLATION, violation)
    candidate = CANDIDATE_FILE.format(top=top)
    limits = SandboxLimits(wall_s=request.timeout_s)
    with workspace(limits) as ws:
        ws.write(candidate, request.code)
        ws.write(HARNESS_FILE, task.harness)
        ws.write(GOLDEN_FILE, task.reference)
        compiled = ws.run(["iverilog", "-g2012", "-s", "tb", "-o", "sim.vvp", HARNESS_FILE, candidate])
        if not compiled.ok:
            outcome = compiled.limit_outcome() or Outcome.COMPILATION_ERROR
            return result(outcome, trim(_output(compiled)))
        outcome, diagnostic, metrics = _simulation_outcome(ws.run(["vvp", "-n", "sim.vvp"]))
        if outcome is not Outcome.PASS:
            return result(outcome, diagnostic, metrics)
        lint = ws.run(["verilator", "--lint-only", "-Wall", "-Wno-fatal", "--top-module", top, candidate])
        if not lint.ok:  # Verilator rejects what Icarus accepted: the design would not build in that flow
            return result(lint.limit_outcome() or Outcome.COMPILATION_ERROR, trim(_output(lint)), metrics)
        warnings = [ln for ln in _output(lint).splitlines() if ln.startswith("%Warning")]
        metrics["lint_warnings"] = float(len(warnings))
        synth, synth_error = _synthesis_metrics(ws, top, candidate)
        metrics |= synth | _equivalence_metrics(ws, top, candidate)
        return result(Outcome.PASS, trim("\n".join([*warnings, synth_error]).strip()), metrics)
