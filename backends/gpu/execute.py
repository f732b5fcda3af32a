"""Run a GPU-kernel candidate in the sandbox and turn what the runner reports into an ExecutionResult.

One sandboxed Python process per candidate (`harness/runner.py`), so a fault that poisons the CUDA
context dies with that process and the worker, which never touches CUDA itself, goes on clean. On a
GPU a PASS is timed there, and the reference's eager and torch.compile times come from a second,
separate run (`baseline` mode) whose result is cached per task in this worker, so the candidate's
time limit never pays for torch.compile. Opt-in, a PASS or TEST_FAILURE is rerun under
compute-sanitizer memcheck. On the CPU path Triton's interpreter checks correctness (no timing).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field

from backends.diagnostic import trim
from backends.gpu.device import gpu_present, nvidia_devices
from backends.gpu.harness import HARNESS_DIR, HARNESS_FILES
from backends.gpu.sandbox_env import SandboxPython, cuda_home, prepare
from backends.sandbox import GiB, MiB, SandboxLimits, SandboxRun, Workspace, workspace
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

UNLIMITED = (1 << 64) - 1  # RLIM_INFINITY: CUDA reserves far more address space than it uses
MEMCHECK_EXIT = 86
_SANITIZER_ERRORS = re.compile(r"ERROR SUMMARY: (\d+) error")
_FAULT_FRAME = re.compile(r'File "[^"]*candidate\.py", line (\d+)')
_BASELINES: dict[tuple[str, str], dict[str, float]] = {}


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
        processes=512,  # threads count too, and every sandbox runs as the same user
        file_size_bytes=256 * MiB,
        open_files=1024,
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


def _without_result(ws: Workspace, run: SandboxRun, limits: SandboxLimits) -> RunnerReport:
    """The process died before writing its result: a limit, a signal, or the candidate ending it."""
    stage = (ws.path / "stage").read_text() if (ws.path / "stage").exists() else ""
    output = _output(run)
    if frame := _FAULT_FRAME.search(output):  # faulthandler names the candidate's line on a segfault
        output = f"candidate.py:{frame.group(1)}: {output}"
    limit = run.limit_outcome()
    if stage != "candidate":
        return RunnerReport(Outcome.INFRA_ERROR, f"the harness stopped (exit {run.returncode})\n{output}", run)
    if limit is Outcome.TIMEOUT:
        return RunnerReport(limit, f"the candidate did not finish within {limits.wall_s:.0f} s\n{output}", run)
    if limit is not None:
        return RunnerReport(limit, output, run)
    ended = f"the process ended without a result (exit {run.returncode})"
    return RunnerReport(Outcome.RUNTIME_ERROR, f"{ended}\n{output}", run)


def _run_runner(
    ws: Workspace, python: SandboxPython, config: dict, limits: SandboxLimits, wrapper: tuple[str, ...] = ()
) -> RunnerReport:
    """Run the harness in `ws` under `limits` (optionally under `wrapper`, e.g. compute-sanitizer)."""
    nonce = secrets.token_hex(16)
    ws.write("nonce", nonce)
    ws.write("config.json", json.dumps(config))
    (ws.path / "result.json").unlink(missing_ok=True)
    run = ws.run([*wrapper, python.executable, "runner.py", "config.json"], limits)
    result_file = ws.path / "result.json"
    if not result_file.exists():
        return _without_result(ws, run, limits)
    result = json.loads(result_file.read_text())
    if result.get("nonce") != nonce:
        return RunnerReport(Outcome.SANDBOX_VIOLATION, "result.json was not written by the harness", run)
    return RunnerReport(Outcome(result["outcome"]), result["diagnostic"], run, result["metrics"], result["versions"])


def _memcheck(ws: Workspace, python: SandboxPython, config: dict, limits: SandboxLimits) -> tuple[bool, str]:
    """compute-sanitizer memcheck over the small-shape trial; (errors found, the sanitizer's report)."""
    home = cuda_home()
    sanitizer = shutil.which("compute-sanitizer", path=str(home / "bin") if home else None)
    if sanitizer is None:
        return False, ""
    deep = {**config, "trials": config["trials"][-1:], "guards": False, "timing": None, "memcheck": True}
    wrapper = (sanitizer, "--tool", "memcheck", "--error-exitcode", str(MEMCHECK_EXIT), "--print-limit", "8")
    run = _run_runner(ws, python, deep, limits, wrapper).run
    found = _SANITIZER_ERRORS.search(run.stdout)
    errors = run.returncode == MEMCHECK_EXIT or (found is not None and int(found.group(1)) > 0)
    report = "\n".join(line for line in run.stdout.splitlines() if line.startswith("========="))
    return errors, report


def _baselines(task: Task, ws: Workspace, python: SandboxPython, config: GpuConfig, device: str) -> dict[str, float]:
    """Eager and torch.compile times of the reference, once per (task, device) in this worker."""
    key = (task.task_id, device)
    if key not in _BASELINES:
        run_config = {"mode": "baseline", "device": "cuda", "baselines": list(config.baselines),
                      "timing": {"warmup_ms": config.warmup_ms, "rep_ms": config.rep_ms}}  # fmt: skip
        limits = SandboxLimits(wall_s=config.baseline_s, cpu_s=int(config.baseline_s * 4),
                               address_space_bytes=UNLIMITED, processes=512, file_size_bytes=256 * MiB,
                               open_files=1024)  # fmt: skip
        report = _run_runner(ws, python, run_config, limits)
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
    with workspace(limits) as ws:
        python = prepare(ws, gpu)
        # the GPU's device nodes: bubblewrap's private /dev lacks them (the sandbox binds /dev paths as devices)
        ws.read_only, ws.env = (*python.read_only, *(nvidia_devices() if gpu else ())), python.env
        for name in HARNESS_FILES:
            ws.write(name, (HARNESS_DIR / name).read_text())
        ws.write("problem.py", task.harness)
        ws.write("candidate.py", request.code)
        report = _run_runner(ws, python, run_config, limits)
        outcome, diagnostic, metrics, versions = report.outcome, report.diagnostic, report.metrics, report.versions
        if gpu and config.memcheck and outcome in (Outcome.PASS, Outcome.TEST_FAILURE):
            errors, report = _memcheck(ws, python, run_config, _limits(request, config, gpu, extra_s=600.0))
            metrics["memcheck_errors"] = float(errors)
            if errors:
                outcome, diagnostic = Outcome.MEMORY_FAULT, report
        if gpu and outcome is Outcome.PASS and config.baselines:
            metrics |= _speedups(metrics, _baselines(task, ws, python, config, versions.get("device", "")))
    return ExecutionResult(
        request_id=request.request_id,
        outcome=outcome,
        diagnostic=trim(diagnostic),
        metrics=metrics,
        duration_s=time.monotonic() - started,
        tool_versions=versions,
    )
