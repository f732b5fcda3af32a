"""Run an assembly candidate through GNU as, gcc and its harness; map what they say to the taxonomy.

Order: gcc -O2 on the task's harness (a failure there is ours: INFRA_ERROR; cached per process);
a static gate on system calls and assembly-time file access (SANDBOX_VIOLATION); `as`
(COMPILATION_ERROR with its `cand.s:LINE: Error:` lines); `nm -u`, since the candidate runs inside
the harness process and a call into libc or the harness could forge the verdict (SANDBOX_VIOLATION);
the link (COMPILATION_ERROR: an undefined symbol, a relocation PIE
forbids); then the harness binary. It ends in one of: a signal (SIGSEGV/SIGBUS: MEMORY_FAULT;
SIGILL, SIGFPE, SIGTRAP: RUNTIME_ERROR; its SIGALRM watchdog or the sandbox wall clock: TIMEOUT),
where addr2line turns the faulting instruction into `cand.s:LINE`; a mismatch or an ABI violation
(TEST_FAILURE, the first failing input printed); or PASS with the timing against gcc -O2.

Timing metrics (ns per call): median/min/max of each side; `speedup` = reference median over
candidate median; `noise` = the larger max/min ratio of the two; `faster` = 1 only when the
speedup exceeds that noise. `build_s` and `run_s` split the wall time between tools and the run.
"""

from __future__ import annotations

import functools
import hashlib
import re
import signal
import subprocess
import time
from collections import OrderedDict
from collections.abc import Callable

from backends.asm.harness import (
    ABI_PREFIX,
    EXIT_ABI,
    EXIT_MISMATCH,
    EXIT_NO_ISA,
    FAULT_PREFIX,
    MISMATCH_PREFIX,
    RESULT_PREFIX,
    TIMING_PREFIX,
)
from backends.diagnostic import trim
from backends.sandbox import SandboxLimits, SandboxRun, Workspace, workspace
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.outcome import Outcome

CANDIDATE_FILE = "cand.s"
HARNESS_FILE = "harness.c"
BINARY = "harness"
WATCHDOG_S = 1  # per phase (tests, timing); a golden needs milliseconds, a naive scalar loop well under 1 s
_FORBIDDEN = re.compile(r"\b(syscall|sysenter)\b|\bint\s+\$?0x80\b|^\s*\.(incbin|include)\b", re.MULTILINE)
_TIMING = re.compile(r"(\w+)=([0-9.]+)")
_OFFSET = re.compile(rf"^{FAULT_PREFIX} .*offset=(0x[0-9a-f]+)", re.MULTILINE)
HARNESS_CACHE_ENTRIES = 512  # compiled harness objects kept per process (~30 KB each)
_HARNESS_OBJECTS: OrderedDict[str, bytes] = OrderedDict()


@functools.cache
def tool_versions() -> dict[str, str]:
    """Versions of the toolchain, read once per process (trusted commands, outside the sandbox)."""

    def first_line(argv: list[str]) -> str:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        return (done.stdout or done.stderr).strip().splitlines()[0]

    return {"as": first_line(["as", "--version"]), "gcc": first_line(["gcc", "--version"])}


def sandbox_violation(code: str) -> str | None:
    """Why the candidate may not run, or None. Kernels never need the kernel: no system calls, and
    no files read into the object at assembly time."""
    without_comments = re.sub(r"#.*", "", re.sub(r"/\*.*?\*/", "", code, flags=re.DOTALL))
    if found := _FORBIDDEN.search(without_comments):
        return f"`{found.group(0).strip()}` is not allowed: candidates may not make system calls or read files"
    return None


class SandboxBroke(RuntimeError):
    """The sandbox could not start a command (bubblewrap or prlimit failed): nothing about the code."""


def _run(ws: Workspace, argv: list[str]) -> SandboxRun:
    """`ws.run`, except that a sandbox that fails to start raises instead of looking like a tool's error
    (a COMPILATION_ERROR label on a bwrap failure would be a wrong training label)."""
    run = ws.run(argv)
    if run.returncode != 0 and run.stderr.lstrip().startswith(("bwrap: ", "prlimit: ")):
        raise SandboxBroke(f"the sandbox could not run {argv[0]}: {run.stderr.strip()}")
    return run


def _output(run: SandboxRun) -> str:
    """What the command printed; if a signal ended it silently (a limit), which signal."""
    text = "\n".join(part for part in (run.stderr.strip(), run.stdout.strip()) if part)
    if run.signal is not None and not text:
        return f"{run.argv[0]}: killed by {signal.Signals(run.signal).name} ({signal.strsignal(run.signal)})"
    return text


def _located(ws: Workspace, run: SandboxRun) -> str:
    """The harness's FAULT report, prefixed with `cand.s:LINE: function` where addr2line knows it."""
    text = _output(run)
    found = _OFFSET.search(run.stderr)
    if found is None:
        return text
    where = _run(ws, ["addr2line", "-f", "-e", BINARY, found.group(1)])
    function, _, location = where.stdout.strip().partition("\n")
    if not where.ok or location.startswith("??"):
        return text
    return f"{location.removeprefix('/work/')}: in {function}\n{text}"


def timing_metrics(stdout: str) -> dict[str, float]:
    """Speedup and noise from the harness's TIMING line (empty if there is none)."""
    line = next((ln for ln in stdout.splitlines() if ln.startswith(f"{TIMING_PREFIX} ")), "")
    values = {k: float(v) for k, v in _TIMING.findall(line)}
    if "cand_median_ns" not in values:
        return {}
    speedup = values["ref_median_ns"] / max(values["cand_median_ns"], 1e-9)
    noise = max(values["ref_max_ns"] / values["ref_min_ns"], values["cand_max_ns"] / values["cand_min_ns"])
    keep = ("ref_median_ns", "ref_min_ns", "ref_max_ns", "cand_median_ns", "cand_min_ns", "cand_max_ns")
    return {k: values[k] for k in keep} | {"speedup": speedup, "noise": noise, "faster": float(speedup > noise)}


def _run_outcome(ws: Workspace, run: SandboxRun) -> tuple[Outcome, str, dict[str, float]]:
    """Classify the harness run."""
    if run.timed_out:
        return Outcome.TIMEOUT, trim(f"harness did not finish within the time limit\n{_output(run)}"), {}
    if run.signal is not None:
        if run.signal == signal.SIGALRM:  # the harness's own watchdog: the candidate is still running
            return Outcome.TIMEOUT, trim(_located(ws, run)), {}
        return run.limit_outcome() or Outcome.RUNTIME_ERROR, trim(_located(ws, run)), {}
    if run.returncode == EXIT_ABI:
        return Outcome.TEST_FAILURE, trim(_report(run)), {"abi_violation": 1.0}
    if run.returncode == EXIT_MISMATCH:
        return Outcome.TEST_FAILURE, trim(_report(run)), {"abi_violation": 0.0}
    if run.returncode == EXIT_NO_ISA:  # the machine, not the candidate
        return Outcome.INFRA_ERROR, trim(_output(run)), {}
    metrics = timing_metrics(run.stdout)
    if run.returncode != 0 or not metrics:
        return Outcome.RUNTIME_ERROR, trim(f"harness exited with status {run.returncode}\n{_output(run)}"), {}
    tests = re.search(rf"{RESULT_PREFIX} tests=(\d+)", run.stdout)
    return Outcome.PASS, "", metrics | {"tests": float(tests.group(1)) if tests else 0.0}


def _report(run: SandboxRun) -> str:
    """The harness's failure block, from its MISMATCH or ABI_VIOLATION header on."""
    lines = run.stdout.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith((MISMATCH_PREFIX, ABI_PREFIX))), 0)
    return "\n".join(lines[start:])


def _external_symbols(ws: Workspace) -> str | None:
    """Why cand.o may not be linked, or None. A kernel is self-contained: a reference to any symbol
    outside it (printf, exit, the harness's own variables) could only serve to forge the verdict."""
    listed = _run(ws, ["nm", "-u", "cand.o"])
    names = listed.stdout.split()[1::2] if listed.ok else []
    if not listed.ok or names:
        return f"cand.o references symbols outside itself: {', '.join(names) or _output(listed)}; " \
            "the function must be self-contained (no calls into libc or the harness)"
    return None


def _harness_object(ws: Workspace, harness: str) -> SandboxRun | None:
    """Put harness.o in the workspace: compiled in the sandbox the first time this process sees the
    harness (the compile run is returned), copied from memory afterwards (None). gcc -O2 on the
    harness is most of a build; the ECoT loop and seed verification run each task many times."""
    key = hashlib.sha256(harness.encode()).hexdigest()
    if (cached := _HARNESS_OBJECTS.get(key)) is not None:
        _HARNESS_OBJECTS.move_to_end(key)
        (ws.path / "harness.o").write_bytes(cached)
        return None
    ws.write(HARNESS_FILE, harness)
    compiled = _run(ws, ["gcc", "-O2", "-c", "-o", "harness.o", HARNESS_FILE])
    if compiled.ok:
        _HARNESS_OBJECTS[key] = (ws.path / "harness.o").read_bytes()
        while len(_HARNESS_OBJECTS) > HARNESS_CACHE_ENTRIES:
            _HARNESS_OBJECTS.popitem(last=False)
    return compiled


def execute(request: ExecutionRequest) -> ExecutionResult:
    """Assemble, link and run the candidate against the task's harness."""
    started = time.monotonic()
    metrics: dict[str, float] = {}

    def result(outcome: Outcome, diagnostic: str) -> ExecutionResult:
        return ExecutionResult(
            request_id=request.request_id,
            outcome=outcome,
            diagnostic=diagnostic,
            metrics=metrics,
            duration_s=time.monotonic() - started,
            tool_versions=tool_versions(),
        )

    if violation := sandbox_violation(request.code):
        return result(Outcome.SANDBOX_VIOLATION, violation)
    try:
        return _judge(request, metrics, result)
    except SandboxBroke as broke:
        return result(Outcome.INFRA_ERROR, trim(str(broke)))


def _judge(
    request: ExecutionRequest, metrics: dict[str, float], result: Callable[[Outcome, str], ExecutionResult]
) -> ExecutionResult:
    """Build and run in a fresh workspace; `metrics` is filled in as the steps finish."""
    task = request.task
    with workspace(SandboxLimits(wall_s=request.timeout_s)) as ws:
        build = time.monotonic()
        compiled = _harness_object(ws, task.harness)  # first, before anything the candidate controls runs
        if compiled is not None and not compiled.ok:
            return result(Outcome.INFRA_ERROR, trim(f"the task's harness does not compile:\n{_output(compiled)}"))
        ws.write(CANDIDATE_FILE, request.code)
        assembled = _run(ws, ["as", "--64", "-g", "-o", "cand.o", CANDIDATE_FILE])
        if not assembled.ok:
            metrics["build_s"] = time.monotonic() - build
            return result(assembled.limit_outcome() or Outcome.COMPILATION_ERROR, trim(_output(assembled)))
        if external := _external_symbols(ws):
            return result(Outcome.SANDBOX_VIOLATION, external)
        linked = _run(ws, ["gcc", "-o", BINARY, "harness.o", "cand.o", "-lm"])
        metrics["build_s"] = time.monotonic() - build
        if not linked.ok:
            return result(linked.limit_outcome() or Outcome.COMPILATION_ERROR, trim(_output(linked)))
        run_started = time.monotonic()
        watchdog = max(1, min(int(task.environment.get("watchdog_s", WATCHDOG_S)), int(request.timeout_s / 3)))
        ran = _run(ws, [f"./{BINARY}", str(watchdog)])
        metrics["run_s"] = time.monotonic() - run_started
        outcome, diagnostic, found = _run_outcome(ws, ran)
        metrics |= found
        warnings = "" if outcome is not Outcome.PASS else _output(assembled) or _output(linked)
        return result(outcome, diagnostic or trim(warnings))
