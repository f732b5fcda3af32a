"""Run an assembly candidate through GNU as, gcc and its harness; map what they say to the taxonomy.

Order: a static gate on system calls and assembly-time file access (SANDBOX_VIOLATION); the
machine's ISA, read by the worker from /proc/cpuinfo (a CPU without it is ours: INFRA_ERROR); gcc
-O2 on the task's harness, in a job of its own that never holds anything of the candidate's (a
failure there is ours: INFRA_ERROR; the object is cached per process); `as`
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

Everything the candidate's workspace needs (harness.o, cand.s) is written before its first tool runs;
nothing is read back from it (the tools' words come from their captured output), and every tool
that reads its files (as, nm, gcc, addr2line) runs inside the sandbox. Only what the worker observed
makes an INFRA_ERROR; the harness's exit status and output are the candidate's (it shares the
process), and a sandbox that did not start raises `SandboxFailure`, which `Domain.run` reports.
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
from pathlib import Path

from backends.asm.harness import (
    ABI_PREFIX,
    EXIT_ABI,
    EXIT_MISMATCH,
    FAULT_PREFIX,
    MISMATCH_PREFIX,
    RESULT_PREFIX,
    TIMING_PREFIX,
)
from backends.asm.kernel import ISA, ISA_CPU_FLAGS
from backends.diagnostic import trim
from backends.sandbox import SandboxLimits, SandboxRun, Workspace, workspace
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.outcome import Outcome

CANDIDATE_FILE = "cand.s"
HARNESS_FILE = "harness.c"
HARNESS_OBJECT = "harness.o"
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


@functools.cache
def missing_isa() -> str | None:
    """Why this machine cannot judge the tasks (None: it can). The worker's own reading of the CPU,
    once per process: the harness cannot say it, since the candidate shares its exit status."""
    flags = next((ln.partition(":")[2].split() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                  if ln.startswith("flags")), [])  # fmt: skip
    if missing := [flag for flag in ISA_CPU_FLAGS if flag not in flags]:
        return f"this CPU lacks {', '.join(missing)}, which the task's ISA ({ISA}) includes"
    return None


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
    where = ws.run(["addr2line", "-f", "-e", BINARY, found.group(1)])
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
    listed = ws.run(["nm", "-u", "cand.o"])
    names = listed.stdout.split()[1::2] if listed.ok else []
    if not listed.ok or names:
        return f"cand.o references symbols outside itself: {', '.join(names) or _output(listed)}; " \
            "the function must be self-contained (no calls into libc or the harness)"
    return None


def _harness_object(harness: str, limits: SandboxLimits) -> bytes | SandboxRun:
    """harness.o for `harness`, or the failed compile run. Compiled in a job of its own, where
    nothing but our harness ever was, the first time this process sees the harness; from memory
    afterwards. gcc -O2 on the harness is most of a build; the ECoT loop and seed verification run
    each task many times."""
    key = hashlib.sha256(harness.encode()).hexdigest()
    if (cached := _HARNESS_OBJECTS.get(key)) is not None:
        _HARNESS_OBJECTS.move_to_end(key)
        return cached
    with workspace(limits) as ws:
        ws.write(HARNESS_FILE, harness)
        compiled = ws.run(["gcc", "-O2", "-c", "-o", HARNESS_OBJECT, HARNESS_FILE])
        built = ws.read_bytes(HARNESS_OBJECT, limits.file_size_bytes) if compiled.ok else None
    if built is None:
        return compiled
    _HARNESS_OBJECTS[key] = built
    while len(_HARNESS_OBJECTS) > HARNESS_CACHE_ENTRIES:
        _HARNESS_OBJECTS.popitem(last=False)
    return built


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
    if unfit := missing_isa():
        return result(Outcome.INFRA_ERROR, unfit)
    return _judge(request, metrics, result)


def _judge(
    request: ExecutionRequest, metrics: dict[str, float], result: Callable[[Outcome, str], ExecutionResult]
) -> ExecutionResult:
    """Build and run in a fresh workspace; `metrics` is filled in as the steps finish."""
    task = request.task
    limits = SandboxLimits(wall_s=request.timeout_s)
    build = time.monotonic()
    harness_object = _harness_object(task.harness, limits)  # before anything the candidate controls runs
    if isinstance(harness_object, SandboxRun):
        return result(Outcome.INFRA_ERROR, trim(f"the task's harness does not compile:\n{_output(harness_object)}"))
    with workspace(limits) as ws:
        ws.write(HARNESS_OBJECT, harness_object)
        ws.write(CANDIDATE_FILE, request.code)
        assembled = ws.run(["as", "--64", "-g", "-o", "cand.o", CANDIDATE_FILE])
        if not assembled.ok:
            metrics["build_s"] = time.monotonic() - build
            return result(assembled.limit_outcome() or Outcome.COMPILATION_ERROR, trim(_output(assembled)))
        if external := _external_symbols(ws):
            return result(Outcome.SANDBOX_VIOLATION, external)
        linked = ws.run(["gcc", "-o", BINARY, HARNESS_OBJECT, "cand.o", "-lm"])
        metrics["build_s"] = time.monotonic() - build
        if not linked.ok:
            return result(linked.limit_outcome() or Outcome.COMPILATION_ERROR, trim(_output(linked)))
        run_started = time.monotonic()
        watchdog = max(1, min(int(task.environment.get("watchdog_s", WATCHDOG_S)), int(request.timeout_s / 3)))
        ran = ws.run([f"./{BINARY}", str(watchdog)])
        metrics["run_s"] = time.monotonic() - run_started
        outcome, diagnostic, found = _run_outcome(ws, ran)
        metrics |= found
        warnings = "" if outcome is not Outcome.PASS else _output(assembled) or _output(linked)
        return result(outcome, diagnostic or trim(warnings))
