"""Run a CadQuery candidate in the sandbox and map what the harness says to the outcome taxonomy.

The harness gets the candidate (`part.py`), the golden script and the task's harness thresholds;
`runner.py` explains the order of events and `measure.py` the comparison. It runs as a job of a warm
server (`server.py`, `warm.py`: CadQuery imported once per worker, a fork per candidate), or, where
the server was lost or `FORGE_CAD_WARM=0`, one-shot in a fresh workspace with `runner.py` and
`measure.py` copied in (the checkout is not visible inside the sandbox). Both give the same verdicts.
The exported STEP/STL of a valid solid go to the content-addressed export directory (`exports.py`).

What the worker trusts: the candidate shares a uid and a directory with the harness, so a report is
checked for the shape the harness writes (a report naming INFRA_ERROR or an unknown outcome is a
forgery: SANDBOX_VIOLATION), workspace files are read only through the workspace's readers (a link
or FIFO there is SANDBOX_VIOLATION, from `Domain.run`), and a harness that ended without a report is
the candidate's doing (a limit, or RUNTIME_ERROR), except for the one exit status the harness gives
before any candidate exists (`runner.IMPORT_FAILED_STATUS`): INFRA_ERROR.

Limits: the candidate script gets the request's `timeout_s` (enforced by the harness around the
script alone); the harness around it gets that plus `HARNESS_OVERHEAD_S` for the reference, the
exports and the comparison (seconds each on a loaded machine) and, one-shot, the CadQuery import.
Address space 3 GiB per process: importing CadQuery maps ~1.1 GB and peaks at ~0.6 GB resident,
the families' booleans add little; a script that wants more gets MemoryError (RESOURCE_EXCEEDED).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import signal
import time
from importlib.metadata import version
from pathlib import Path

from backends.cad import exports, runner, server, warm
from backends.cad.interpreter import SandboxPython, sandbox_python
from backends.diagnostic import trim
from backends.sandbox import GiB, SandboxLimits, SandboxRun, workspace
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.outcome import Outcome

log = logging.getLogger(__name__)

WARM_ENV = "FORGE_CAD_WARM"  # "0": every candidate in a one-shot sandbox (slower; bench/cad.py compares)
HARNESS_OVERHEAD_S = server.JOB_OVERHEAD_S
ADDRESS_SPACE_BYTES = 3 * GiB
# One thread per library: the sandbox's process limit counts threads, and the workers share 2 cores.
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
_HERE = Path(__file__).parent
HARNESS_FILES = tuple(name for name in server.FILES if name != "server.py")


def warm_enabled() -> bool:
    return os.environ.get(WARM_ENV, "1") != "0"


@functools.cache
def tool_versions() -> dict[str, str]:
    """Package versions from metadata (no CadQuery import on the host) and the sandbox's Python."""
    return {
        "cadquery": version("cadquery"),
        "cadquery-ocp": version("cadquery-ocp"),
        "python": sandbox_python().version,  # the sandbox's interpreter, not the host's
    }


def _output(run: SandboxRun) -> str:
    return "\n".join(part for part in (run.stderr.strip(), run.stdout.strip()) if part)


# What the harness writes into a report: a script killed by a signal, or one of these outcomes. A
# report with anything else (INFRA_ERROR, a name outside the taxonomy, a field of the wrong type) is
# not the harness's: the candidate, which can write the files the harness reads, made it up.
_REPORTED = frozenset({Outcome.PASS, Outcome.COMPILATION_ERROR, Outcome.RUNTIME_ERROR, Outcome.TEST_FAILURE,
                       Outcome.RESOURCE_EXCEEDED, Outcome.TIMEOUT})  # fmt: skip


def _malformed(report: object) -> str:
    """Why `report` is not one the harness writes ("" when it is)."""
    if not isinstance(report, dict):
        return f"a {type(report).__name__}, not an object"
    if not isinstance(report.get("diagnostic"), str):
        return "no diagnostic text"
    metrics = report.get("metrics", {})
    if not isinstance(metrics, dict) or not all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in metrics.values()
    ):
        return "metrics that are not numbers"
    if "signal" in report:
        number = report["signal"]
        valid = isinstance(number, int) and not isinstance(number, bool) and number in signal.valid_signals()
        return "" if valid else f"signal {number!r}"
    if report.get("outcome") not in {outcome.value for outcome in _REPORTED}:
        return f"outcome {report.get('outcome')!r}"
    return ""


def _from_report(run: SandboxRun, report: dict) -> tuple[Outcome, str]:
    """The harness's verdict; a script killed by a signal maps as the sandbox maps any command."""
    if "signal" in report:
        outcome = dataclasses.replace(run, signal=report["signal"]).limit_outcome() or Outcome.RUNTIME_ERROR
        return outcome, trim(f"{report['diagnostic']}\n{_output(run)}")
    return Outcome(report["outcome"]), trim(report["diagnostic"])


def _without_report(run: SandboxRun, limit_s: float) -> tuple[Outcome, str]:
    """The harness did not finish: a limit the candidate's geometry drove it into, the candidate breaking
    it (killing it, corrupting its files), or, only by the status no candidate can cause, a backend
    whose CadQuery does not import (a warm server proved its import before taking any job)."""
    limit = run.limit_outcome()
    if limit is Outcome.TIMEOUT:
        return limit, trim(f"the CAD harness (script, export, comparison) did not finish within {limit_s:g} s\n"
                           f"{_output(run)}")  # fmt: skip
    if limit is not None:  # killed: say by what, the tools may have had no time to say anything
        killed = f"the CAD harness was killed by {runner.signal_name(run.signal)}" if run.signal else ""
        return limit, trim("\n".join(part for part in (killed, _output(run)) if part))
    if run.returncode == runner.IMPORT_FAILED_STATUS:
        return Outcome.INFRA_ERROR, trim(f"the CAD harness could not import CadQuery\n{_output(run)}")
    ended = f"killed by {runner.signal_name(run.signal)}" if run.signal else f"exit status {run.returncode}"
    return Outcome.RUNTIME_ERROR, trim(f"the CAD harness ended without a verdict ({ended}) while running "
                                       f"{runner.CANDIDATE}\n{_output(run)}")  # fmt: skip


Verdict = tuple[Outcome, str, dict[str, float]]


def _verdict(harness: warm.HarnessRun, limit_s: float) -> Verdict:
    """Outcome, diagnostic and metrics of one harness run; the exports of a valid solid are stored.
    Files are read up to the sandbox's file-size limit, the most the harness can have written."""
    run, report = harness.run, harness.report
    if not (run.ok and report is not None):
        return (*_without_report(run, limit_s), {})
    if why := _malformed(report):
        return Outcome.SANDBOX_VIOLATION, f"the CAD harness's report was tampered with: {why}", {}
    outcome, diagnostic = _from_report(run, report)
    metrics = {k: float(v) for k, v in report.get("metrics", {}).items()}
    for name in (runner.STEP, runner.STL):  # written for every valid solid, matching or not
        data = harness.read_bytes(name, harness.ws.limits.file_size_bytes)
        if data is not None:
            metrics |= exports.keep(data, name.rsplit(".", 1)[1])
    return outcome, diagnostic, metrics


def _one_shot(python: SandboxPython, files: dict[str, str], timeout_s: float) -> Verdict:
    """A fresh sandbox for this candidate alone, CadQuery imported anew."""
    wall = timeout_s + HARNESS_OVERHEAD_S
    limits = SandboxLimits(wall_s=wall, cpu_s=int(wall) + 1, address_space_bytes=ADDRESS_SPACE_BYTES)
    with workspace(limits, read_only=python.read_only) as ws:
        ws.env.update(THREAD_ENV)
        for name in HARNESS_FILES:
            ws.write(name, (_HERE / name).read_text())
        for name, text in files.items():
            ws.write(name, text)
        run = ws.run([*python.argv, "runner.py", python.site_packages, f"{timeout_s:g}"])
        text = ws.read_text(runner.REPORT, limits.file_size_bytes) if run.ok else None
        try:
            report = None if text is None else json.loads(text)
        except ValueError:
            report = text  # not JSON: `_verdict` says the report was tampered with
        return _verdict(warm.HarnessRun(run, report, ws), wall)


def _warm(python: SandboxPython, files: dict[str, str], timeout_s: float) -> Verdict | None:
    """The candidate as a job of a warm server; None where the server was lost (see `warm.py`)."""
    try:
        with warm.job(python, THREAD_ENV, files, timeout_s) as harness:
            return _verdict(harness, timeout_s + HARNESS_OVERHEAD_S)
    except warm.HarnessLost as error:
        log.warning("%s; running the candidate in a one-shot sandbox", error)
        return None


def execute(request: ExecutionRequest) -> ExecutionResult:
    """Run the candidate script, validate, export and compare its solid with the reference."""
    started = time.monotonic()
    python = sandbox_python()
    files = {runner.CANDIDATE: request.code, runner.REFERENCE: request.task.reference,
             runner.HARNESS: request.task.harness}  # fmt: skip
    verdict = _warm(python, files, request.timeout_s) if warm_enabled() else None
    outcome, diagnostic, metrics = verdict or _one_shot(python, files, request.timeout_s)
    return ExecutionResult(
        request_id=request.request_id,
        outcome=outcome,
        diagnostic=diagnostic,
        metrics=metrics,
        duration_s=time.monotonic() - started,
        tool_versions=tool_versions(),
    )
