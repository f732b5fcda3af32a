"""Run a GPU-kernel candidate in the sandbox and turn what the runner reports into an ExecutionResult.

One sandboxed Python process per candidate (`harness/runner.py`), so a fault that poisons the CUDA
context dies with that process and the worker, which never touches CUDA itself, goes on clean. On a
GPU a PASS is timed there, and the reference's eager and torch.compile times come from a separate
run (`baseline` mode) whose result is cached per task in this worker, so the candidate's time limit
never pays for torch.compile. Opt-in, a PASS or TEST_FAILURE is rerun under compute-sanitizer
memcheck. On the CPU path Triton's interpreter checks correctness (no timing).

Every pass is a workspace of its own: the harness, its inputs and a fresh nonce are written before
it runs and nothing is written after, so links a candidate planted can never redirect a later pass's
writes (docs/threat-model.md). The worker reads only `result.json`, through the workspace's
descriptor (`Workspace.read_bytes`), size-capped, and checks every field: a report the harness did
not write is the candidate's SANDBOX_VIOLATION. A pass that ran candidate code never comes back
INFRA_ERROR, whatever its process wrote or however it ended: the only infrastructure failures are
the worker's own observations (the sandbox not starting) and the harness failing on the reference
alone, in a pass with no candidate code (`reference` mode, once per task in this worker).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field, replace

from backends.diagnostic import trim
from backends.gpu.device import gpu_present, nvidia_devices
from backends.gpu.harness import HARNESS_DIR, HARNESS_FILES
from backends.gpu.sandbox_env import cuda_home, prepare
from backends.sandbox import GiB, MiB, SandboxLimits, SandboxRun, workspace
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

UNLIMITED = (1 << 64) - 1  # RLIM_INFINITY: CUDA reserves far more address space than it uses
MEMCHECK_EXIT = 86
RESULT, NONCE, CONFIG = "result.json", "nonce", "config.json"
# The runner caps its diagnostic at 128 KiB (runner.DIAGNOSTIC_CHARS): an honest report is far below this.
RESULT_BYTES = 1 << 20
_OUTCOMES = frozenset(outcome.value for outcome in Outcome)
_SANITIZER_ERRORS = re.compile(r"ERROR SUMMARY: (\d+) error")
_FAULT_FRAME = re.compile(r'File "[^"]*candidate\.py", line (\d+)')
_BASELINES: dict[tuple[str, str, tuple[str, ...]], dict[str, float]] = {}
_REFERENCES_RUN: set[tuple[str, str, str]] = set()


def _env_list(name: str, default: str) -> tuple[str, ...]:
    return tuple(item for item in os.environ.get(name, default).split(",") if item)


@dataclass(frozen=True)
class GpuConfig:
    """Knobs of the GPU backend; each default has its reason.

    - `warmup_ms`/`rep_ms`: do_bench's defaults (25 ms of warm-up, 100 ms of timed trials);
    - `startup_s`: added to the request's time limit for what is not the candidate's running time:
      interpreter start, torch import, Triton's JIT compiles (about 1 s a kernel);
    - `build_s`: added when the candidate builds CUDA C++ (`load_inline`: nvcc on torch's headers takes
      30-120 s);
    - `baseline_s`: the reference under torch.compile, compiled once per task and worker;
    - `target_arch`/`max_shared`: what the CPU path compiles for and checks against (sm_90, H100/H200:
      227 KB of shared memory per block with the opt-in, as cudaDevAttrMaxSharedMemoryPerBlockOptin);
    - `gpu_host_memory_bytes`: the host memory of a GPU job's processes together (its cgroup). Each
      process's address space is unlimited there (CUDA reserves far more than it uses), so this is the
      job's only memory cap: room for the reference and candidate at KernelBench's shapes plus
      torch.compile's compile workers, a quarter of a GPU machine's 128 GiB per GPU. The CPU path keeps
      8 GiB per process and in aggregate (small shapes);
    - `memcheck` (FORGE_GPU_MEMCHECK=1): the compute-sanitizer rerun, 10-100x slower, so opt-in;
    - `baselines` (FORGE_GPU_BASELINES, default "eager,compile"; empty for none).
    """

    warmup_ms: float = 25.0
    rep_ms: float = 100.0
    startup_s: float = 60.0
    build_s: float = 300.0
    baseline_s: float = 300.0
    target_arch: int = 90
    max_shared: int = 232448
    gpu_host_memory_bytes: int = 32 * GiB
    memcheck: bool = field(default_factory=lambda: os.environ.get("FORGE_GPU_MEMCHECK") == "1")
    baselines: tuple[str, ...] = field(default_factory=lambda: _env_list("FORGE_GPU_BASELINES", "eager,compile"))


def trials(task: Task, gpu: bool) -> list[dict]:
    """Correctness trials: on a GPU two at the task's shapes and one at the small odd shapes; on the
    CPU three at the small shapes (the interpreter is slow). Each draws fresh random inputs."""
    small = json.loads(task.environment.get("small_shapes", "{}"))
    if gpu:
        return [{"seed": 0, "shapes": {}}, {"seed": 1, "shapes": {}}, {"seed": 2, "shapes": small}]
    return [{"seed": seed, "shapes": small} for seed in (0, 1, 2)]


def _limits(request: ExecutionRequest, config: GpuConfig, gpu: bool, extra_s: float = 0.0) -> SandboxLimits:
    builds = "load_inline" in request.code or "cpp_extension" in request.code
    wall = request.timeout_s + config.startup_s + (config.build_s if builds else 0.0) + extra_s
    return SandboxLimits(
        wall_s=wall,
        cpu_s=int(wall * 4),  # nvcc and ninja run several compiler processes at once
        address_space_bytes=UNLIMITED if gpu else 8 * GiB,
        processes=512,  # threads count too (the job's uid and its cgroup count tasks, not processes)
        file_size_bytes=256 * MiB,
        open_files=1024,
        memory_bytes=config.gpu_host_memory_bytes if gpu else None,
    )


def _output(run: SandboxRun) -> str:
    return "\n".join(part for part in (run.stderr.strip(), run.stdout.strip()) if part)


@dataclass
class RunnerReport:
    """What one run of the harness came to."""

    outcome: Outcome
    diagnostic: str
    run: SandboxRun
    metrics: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)


class ForgedReport(ValueError):
    """A result.json the harness did not write: it says which field gave it away."""


def _string_map(value: object, numbers: bool) -> bool:
    """Whether `value` is a {str: str} map (numbers: a {str: int or float} map)."""
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        return False
    if numbers:
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values())
    return all(isinstance(v, str) for v in value.values())


def _parsed(data: bytes, nonce: str, run: SandboxRun) -> RunnerReport:
    """The runner's report, every field checked; raises ForgedReport for anything else."""
    if len(data) > RESULT_BYTES:
        raise ForgedReport(f"it is larger than the {RESULT_BYTES} bytes the harness ever writes")
    try:
        result = json.loads(data)
    except (ValueError, RecursionError) as error:  # RecursionError: nesting deeper than the parser goes
        raise ForgedReport(f"it is not JSON ({type(error).__name__})") from None
    if not isinstance(result, dict) or result.get("nonce") != nonce:
        raise ForgedReport("it does not carry this run's nonce")
    outcome, diagnostic = result.get("outcome"), result.get("diagnostic")
    metrics, versions = result.get("metrics"), result.get("versions")
    if outcome not in _OUTCOMES:
        raise ForgedReport(f"{str(outcome)[:40]!r} is not an outcome")
    if not isinstance(diagnostic, str) or not _string_map(metrics, True) or not _string_map(versions, False):
        raise ForgedReport("its diagnostic, metrics or versions are not what the harness writes")
    try:
        metrics = {name: float(value) for name, value in metrics.items()}
    except OverflowError:  # an integer no float can hold: the harness writes floats
        raise ForgedReport("a metric is beyond a float's range") from None
    return RunnerReport(Outcome(outcome), diagnostic, run, metrics, versions)


def _without_result(run: SandboxRun, limits: SandboxLimits) -> RunnerReport:
    """The process died before writing its result: a limit, a signal, or the candidate ending it."""
    output = _output(run)
    if frame := _FAULT_FRAME.search(output):  # faulthandler names the candidate's line on a segfault
        output = f"candidate.py:{frame.group(1)}: {output}"
    limit = run.limit_outcome()
    if limit is Outcome.TIMEOUT:
        return RunnerReport(limit, f"the run did not finish within {limits.wall_s:.0f} s\n{output}", run)
    if limit is not None:
        return RunnerReport(limit, output, run)
    ended = f"the process ended without a result (exit {run.returncode})"
    return RunnerReport(Outcome.RUNTIME_ERROR, f"{ended}\n{output}", run)


def _run_pass(
    files: dict[str, str], config: dict, limits: SandboxLimits, gpu: bool, wrapper: tuple[str, ...] = ()
) -> RunnerReport:
    """One run of the harness (optionally under `wrapper`, e.g. compute-sanitizer) in a fresh workspace
    holding the harness, `files`, `config` and a fresh nonce, all written before it runs."""
    nonce = secrets.token_hex(16)
    inputs = {name: (HARNESS_DIR / name).read_text() for name in HARNESS_FILES}
    inputs |= {**files, NONCE: nonce, CONFIG: json.dumps(config)}
    with workspace(limits) as ws:
        python = prepare(ws, gpu)
        # the GPU's device nodes: bubblewrap's private /dev lacks them (the sandbox binds /dev paths as devices)
        ws.read_only, ws.env = (*python.read_only, *(nvidia_devices() if gpu else ())), python.env
        for name, text in inputs.items():
            ws.write(name, text)
        run = ws.run([*wrapper, python.executable, "runner.py", CONFIG], limits)
        data = ws.read_bytes(RESULT, limit=RESULT_BYTES + 1)
    if data is None:
        return _without_result(run, limits)
    try:
        return _parsed(data, nonce, run)
    except ForgedReport as forged:
        return RunnerReport(Outcome.SANDBOX_VIOLATION, f"result.json was not written by the harness: {forged}", run)


def _judged(report: RunnerReport) -> RunnerReport:
    """A pass that ran candidate code: whatever its process reports or however it ended is the
    candidate's outcome. The harness's own INFRA_ERROR (a harness bug, CUDA gone) shares that process,
    so it is not evidence of broken infrastructure; the reference pass catches a harness that fails
    on its own."""
    if report.outcome is Outcome.INFRA_ERROR:
        return replace(report, outcome=Outcome.RUNTIME_ERROR)
    return report


def _reference_failure(task: Task, config: dict, limits: SandboxLimits, gpu: bool) -> RunnerReport | None:
    """The harness on the reference alone, with no candidate code in its workspace: everything the
    check does before it loads the candidate. None when that works (remembered per task in this
    worker); its report when it does not, an infrastructure failure decided without the candidate."""
    key = (task.task_id, hashlib.sha256(task.harness.encode()).hexdigest(), config["device"])
    if key in _REFERENCES_RUN:
        return None
    report = _run_pass({"problem.py": task.harness}, {**config, "mode": "reference"}, limits, gpu)
    if report.outcome is not Outcome.PASS:
        return report
    _REFERENCES_RUN.add(key)
    return None


def _memcheck(files: dict[str, str], config: dict, limits: SandboxLimits) -> tuple[bool, str]:
    """compute-sanitizer memcheck over the small-shape trial; (errors found, the sanitizer's report)."""
    home = cuda_home()
    sanitizer = shutil.which("compute-sanitizer", path=str(home / "bin") if home else None)
    if sanitizer is None:
        return False, ""
    deep = {**config, "trials": config["trials"][-1:], "guards": False, "timing": None, "memcheck": True}
    wrapper = (sanitizer, "--tool", "memcheck", "--error-exitcode", str(MEMCHECK_EXIT), "--print-limit", "8")
    run = _run_pass(files, deep, limits, gpu=True, wrapper=wrapper).run
    found = _SANITIZER_ERRORS.search(run.stdout)
    errors = run.returncode == MEMCHECK_EXIT or (found is not None and int(found.group(1)) > 0)
    report = "\n".join(line for line in run.stdout.splitlines() if line.startswith("========="))
    return errors, report


def _baselines(task: Task, config: GpuConfig) -> dict[str, float]:
    """Eager and torch.compile times of the reference, once per task and set of baselines in this
    worker (a worker holds one GPU for its life), from a pass with no candidate code."""
    key = (task.task_id, hashlib.sha256(task.harness.encode()).hexdigest(), config.baselines)
    if key not in _BASELINES:
        run_config = {"mode": "baseline", "device": "cuda", "baselines": list(config.baselines),
                      "timing": {"warmup_ms": config.warmup_ms, "rep_ms": config.rep_ms}}  # fmt: skip
        limits = SandboxLimits(wall_s=config.baseline_s, cpu_s=int(config.baseline_s * 4),
                               address_space_bytes=UNLIMITED, processes=512, file_size_bytes=256 * MiB,
                               open_files=1024, memory_bytes=config.gpu_host_memory_bytes)  # fmt: skip
        report = _run_pass({"problem.py": task.harness}, run_config, limits, gpu=True)
        _BASELINES[key] = report.metrics if report.outcome is Outcome.PASS else {}
    return _BASELINES[key]


def _speedups(metrics: dict[str, float], baselines: dict[str, float]) -> dict[str, float]:
    found = dict(baselines)
    kernel = metrics.get("kernel_ms")
    for name in ("eager", "compile"):
        if kernel and baselines.get(f"{name}_ms"):
            found[f"speedup_{name}"] = baselines[f"{name}_ms"] / kernel
    return found


def execute(request: ExecutionRequest, config: GpuConfig | None = None) -> ExecutionResult:
    """Check the candidate on the GPU (or, without one, in Triton's interpreter) and time a PASS."""
    started = time.monotonic()
    task, config, gpu = request.task, config or GpuConfig(), gpu_present()
    atol, rtol = float(task.environment["atol"]), float(task.environment["rtol"])
    run_config = {
        "mode": "check", "device": "cuda" if gpu else "cpu", "trials": trials(task, gpu), "atol": atol, "rtol": rtol,
        "guards": gpu, "timing": {"warmup_ms": config.warmup_ms, "rep_ms": config.rep_ms} if gpu else None,
        "target_arch": config.target_arch, "max_shared": config.max_shared,
    }  # fmt: skip
    limits = _limits(request, config, gpu)
    if (broken := _reference_failure(task, run_config, limits, gpu)) is not None:
        return ExecutionResult(
            request_id=request.request_id, outcome=Outcome.INFRA_ERROR,
            diagnostic=trim(f"the harness failed on the reference alone ({broken.outcome}):\n{broken.diagnostic}"),
            duration_s=time.monotonic() - started, tool_versions=broken.versions,
        )  # fmt: skip
    files = {"problem.py": task.harness, "candidate.py": request.code}
    report = _judged(_run_pass(files, run_config, limits, gpu))
    outcome, diagnostic, metrics, versions = report.outcome, report.diagnostic, report.metrics, report.versions
    if gpu and config.memcheck and outcome in (Outcome.PASS, Outcome.TEST_FAILURE):
        errors, sanitizer_report = _memcheck(files, run_config, _limits(request, config, gpu, extra_s=600.0))
        metrics["memcheck_errors"] = float(errors)
        if errors:
            outcome, diagnostic = Outcome.MEMORY_FAULT, sanitizer_report
    if gpu and outcome is Outcome.PASS and config.baselines:
        metrics |= _speedups(metrics, _baselines(task, config))
    return ExecutionResult(
        request_id=request.request_id,
        outcome=outcome,
        diagnostic=trim(diagnostic),
        metrics=metrics,
        duration_s=time.monotonic() - started,
        tool_versions=versions,
    )
