"""Hostile GPU-kernel candidates against the worker around the sandbox (issue 14), on the CPU path.

Each candidate attacks what the trusted worker does around its run: links or FIFOs planted where
the worker reads (`result.json`, `stage`), links planted where a later pass would write (`nonce`,
`config.json`), or a failure dressed up as the infrastructure's (an exit status, a forged report,
CUDA asked for where there is none, an exception raised from a harness file). None may read or
write the canary (a root-only file outside the workspace), leak the worker's environment, hang the
worker, or come back INFRA_ERROR; honest controls still PASS, and a reference that breaks before
any candidate code ran is still the infrastructure's.

The executions run in module fixtures, two at a time (the machine's cores), on daemon threads: a
worker that hangs on a FIFO shows up as a missing result instead of a hung test session.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from backends.domain import get_domain
from backends.gpu import execute as gpu_execute
from backends.gpu.device import gpu_present
from backends.gpu.domain import problem_tasks
from backends.gpu.execute import GpuConfig
from backends.gpu.sandbox_env import SandboxPython
from backends.sandbox import Workspace
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

MODES = ("bwrap", "unshare")
SECRET_ENV = "FORGE_OPENAI_API_KEY"  # what a worker must never let out (the confirmed leak)
FIXTURE_TIMEOUT_S = 420.0

# Finds the runner's per-run nonce in its frames (the runner shares the candidate's process: issue
# 15 moves the verdict out), so a forged report gets past the nonce check and reaches the worker.
FIND_NONCE = """
import json
import os
import signal
import sys

def runner_nonce():
    frame = sys._getframe()
    while frame is not None:
        if isinstance(frame.f_locals.get("nonce"), str):
            return frame.f_locals["nonce"]
        frame = frame.f_back
    return ""

def forge(text):
    with open("result.json", "w") as handle:
        handle.write(text.replace("@NONCE@", runner_nonce()))
    os._exit(0)
"""

HONEST_MODEL = """
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        {body}
"""


def _replace(name: str) -> str:
    return f"if os.path.lexists({name!r}):\n    os.remove({name!r})\n"


def planted_links(target: str) -> str:
    """result.json and stage made links to `target` (a host path: resolved by whoever follows it)."""
    names = ("result.json", "stage")
    plants = "".join(_replace(name) + f"os.symlink({target!r}, {name!r})\n" for name in names)
    return f"{FIND_NONCE}\n{plants}os._exit(0)\n"


def planted_fifo(name: str) -> str:
    return f"{FIND_NONCE}\n{_replace(name)}os.mkfifo({name!r})\nos._exit(0)\n"


EXITS = {
    "sys.exit": "sys.exit(3)",
    "os._exit": "os._exit(3)",
    "sigkill": "os.kill(os.getpid(), signal.SIGKILL)",
    "stage-forged": "open('stage', 'w').write('harness')\nos._exit(3)",
    "stage-removed": "os.remove('stage') if os.path.exists('stage') else None\nos._exit(3)",
}

REPORT = '"diagnostic": "", "metrics": {}, "versions": {}, "nonce": "@NONCE@"'
FORGED = {
    "invalid-outcome": ('{"outcome": "LOOKS_FINE", ' + REPORT + "}", Outcome.SANDBOX_VIOLATION),
    "infra-outcome": ('{"outcome": "INFRA_ERROR", ' + REPORT + "}", Outcome.RUNTIME_ERROR),
    "metric-not-a-number": (
        '{"outcome": "PASS", "diagnostic": "", "metrics": {"kernel_ms": "fast"}, "versions": {}, "nonce": "@NONCE@"}',
        Outcome.SANDBOX_VIOLATION,
    ),
    "metric-beyond-a-float": (
        '{"outcome": "PASS", "diagnostic": "", "metrics": {"kernel_ms": 1' + "0" * 400 + '}, "versions": {}, '
        '"nonce": "@NONCE@"}',
        Outcome.SANDBOX_VIOLATION,
    ),
    "not-json": ("{{{ @NONCE@", Outcome.SANDBOX_VIOLATION),
    "too-deep": ("[" * 50_000, Outcome.SANDBOX_VIOLATION),
    "not-an-object": ('["@NONCE@"]', Outcome.SANDBOX_VIOLATION),
}

NO_GPU = {
    # an honest candidate that insists on CUDA where the task runs on the CPU path
    "device-cuda": HONEST_MODEL.format(body='return torch.relu(x.to("cuda"))'),
    # the harness's own "needs a GPU" exception, by name
    "own-cuda-needs-gpu": HONEST_MODEL.format(body="raise CudaNeedsGpu('running them needs a GPU')")
    + "\n\nclass CudaNeedsGpu(Exception):\n    pass\n",
    "driver-message": HONEST_MODEL.format(body='raise RuntimeError("Found no NVIDIA driver on your system")'),
    # an exception whose innermost frame is a harness file
    "raised-in-harness": HONEST_MODEL.format(body="import checks\n        checks.GuardedInputs(None)"),
}


@pytest.fixture(scope="module")
def relu() -> Task:
    return next(t for t in problem_tasks(1) if t.params["problem"] == "relu")


@dataclasses.dataclass(frozen=True)
class Canary:
    """A root-only file outside every workspace: never read into a result, never written."""

    path: Path
    text: str
    mtime_ns: int

    def untouched(self) -> bool:
        return (self.path.read_text(), self.path.stat().st_mtime_ns) == (self.text, self.mtime_ns)

    def shown_in(self, result: ExecutionResult) -> bool:
        return self.text.strip() in _shown(result)


def _shown(result: ExecutionResult) -> str:
    return " ".join([result.diagnostic, *map(str, result.metrics), *result.tool_versions.values()])


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    directory = Path(tempfile.mkdtemp(prefix="forge-canary-"))
    path = directory / "canary.txt"
    text = f"CANARY-{secrets.token_hex(16)}\n"
    path.write_text(text)
    path.chmod(0o600)
    yield Canary(path, text, path.stat().st_mtime_ns)
    shutil.rmtree(directory)


@pytest.fixture(scope="module")
def secret() -> str:
    return f"sk-forge-{secrets.token_hex(16)}"


def run_all(requests: dict[str, ExecutionRequest], timeout_s: float) -> dict[str, ExecutionResult]:
    """`Domain.run` of every request, two at a time, on daemon threads; a hung one has no entry."""
    results: dict[str, ExecutionResult] = {}
    gate = threading.Semaphore(2)

    def one(name: str, request: ExecutionRequest) -> None:
        with gate:
            results[name] = get_domain("gpu").run(request)

    threads = [threading.Thread(target=one, args=item, daemon=True) for item in requests.items()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return dict(results)


def _requests(task: Task, codes: dict[str, str]) -> dict[str, ExecutionRequest]:
    return {name: ExecutionRequest.for_code(task, code, 60) for name, code in codes.items()}


@pytest.fixture(scope="module")
def per_mode(relu: Task, canary: Canary, secret: str) -> dict[tuple[str, str], ExecutionResult]:
    """Candidates whose attack goes through the isolation's view of the workspace: both modes."""
    codes = {
        "control": relu.reference,
        "links:canary": planted_links(str(canary.path)),
        "links:environ": planted_links("/proc/self/environ"),
        "fifo:result.json": planted_fifo("result.json"),
        "fifo:stage": planted_fifo("stage"),
        **{f"exit:{name}": f"{FIND_NONCE}\n{line}\n" for name, line in EXITS.items()},
    }
    found: dict[tuple[str, str], ExecutionResult] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORGE_GPU", "0")
        patch.setenv(SECRET_ENV, secret)
        for mode in MODES:
            patch.setenv("FORGE_SANDBOX", mode)
            done = run_all(_requests(relu, codes), FIXTURE_TIMEOUT_S)
            found |= {(mode, name): result for name, result in done.items()}
    return found


@pytest.fixture(scope="module")
def one_mode(relu: Task, secret: str) -> dict[str, ExecutionResult]:
    """Candidates whose attack is on the worker's reading of the report: the mode does not matter."""
    broken = relu.harness.replace("def get_inputs():", "def get_inputs():\n    raise ValueError('no inputs')")
    codes = {
        **{f"forged:{name}": f"{FIND_NONCE}\nforge({text!r})\n" for name, (text, _) in FORGED.items()},
        **{f"no-gpu:{name}": code for name, code in NO_GPU.items()},
    }
    requests = _requests(relu, codes)
    requests["broken-reference"] = ExecutionRequest.for_code(
        relu.model_copy(update={"harness": broken}), relu.reference, 60
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORGE_GPU", "0")
        patch.setenv(SECRET_ENV, secret)
        return run_all(requests, FIXTURE_TIMEOUT_S)


def _got(results: dict, key: object) -> ExecutionResult:
    assert key in results, f"{key}: the worker did not come back (hung on a planted FIFO?)"
    return results[key]


@pytest.mark.parametrize("mode", MODES)
def test_an_honest_kernel_still_passes(per_mode, mode: str) -> None:
    result = _got(per_mode, (mode, "control"))
    assert result.outcome is Outcome.PASS, result.diagnostic
    assert result.isolation.startswith(mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", ["canary", "environ"])
def test_planted_links_are_refused_not_followed(per_mode, canary: Canary, secret: str, mode: str, target: str) -> None:
    result = _got(per_mode, (mode, f"links:{target}"))
    assert result.outcome is Outcome.SANDBOX_VIOLATION, result.diagnostic
    assert not canary.shown_in(result) and secret not in _shown(result)
    assert canary.untouched()


@pytest.mark.parametrize("mode", MODES)
def test_a_fifo_for_the_result_is_refused_without_hanging(per_mode, mode: str) -> None:
    result = _got(per_mode, (mode, "fifo:result.json"))
    assert result.outcome is Outcome.SANDBOX_VIOLATION, result.diagnostic


@pytest.mark.parametrize("mode", MODES)
def test_a_fifo_for_the_stage_neither_hangs_the_worker_nor_blames_it(per_mode, mode: str) -> None:
    result = _got(per_mode, (mode, "fifo:stage"))
    assert result.outcome is Outcome.RUNTIME_ERROR, result.diagnostic


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", list(EXITS))
def test_an_exit_the_candidate_chose_is_its_own_outcome(per_mode, mode: str, how: str) -> None:
    result = _got(per_mode, (mode, f"exit:{how}"))
    assert result.outcome.is_label, result.diagnostic
    assert result.outcome is (Outcome.RESOURCE_EXCEEDED if how == "sigkill" else Outcome.RUNTIME_ERROR)


@pytest.mark.parametrize("name", list(FORGED))
def test_a_forged_report_is_a_candidate_outcome(one_mode, name: str) -> None:
    result = _got(one_mode, f"forged:{name}")
    assert result.outcome is FORGED[name][1], result.diagnostic


@pytest.mark.parametrize("name", list(NO_GPU))
def test_cuda_on_the_cpu_path_is_the_candidates_runtime_error(one_mode, name: str) -> None:
    result = _got(one_mode, f"no-gpu:{name}")
    assert result.outcome is Outcome.RUNTIME_ERROR, result.diagnostic


def test_a_reference_that_breaks_before_any_candidate_code_is_infrastructure(one_mode) -> None:
    result = _got(one_mode, "broken-reference")
    assert result.outcome is Outcome.INFRA_ERROR
    assert "ValueError: no inputs" in result.diagnostic


# -- the GPU path's later passes (timing baselines), with a CUDA that this CPU-only torch pretends to have --

FAKE_CUDA = '''"""Test scaffolding: a CPU-only torch that says CUDA is there and keeps "cuda" tensors on the CPU."""
import torch

torch.cuda.is_available = lambda: True
_to = torch.Tensor.to


def _cpu(value):
    return "cpu" if str(value).startswith("cuda") else value


def _to_cpu(self, *args, **kwargs):
    return _to(self, *map(_cpu, args), **{key: _cpu(value) for key, value in kwargs.items()})


torch.Tensor.to = _to_cpu
'''


def later_pass_links(canary: Canary) -> str:
    """Plant links where a second runner pass would write its inputs, then report a PASS."""
    plants = "".join(
        _replace(name) + f"os.symlink({str(canary.path)!r}, {name!r})\n" for name in ("nonce", "config.json")
    )
    report = '{"outcome": "PASS", "diagnostic": "", "metrics": {}, "versions": {"device": "fake"}, "nonce": "@NONCE@"}'
    return f"{FIND_NONCE}\n{plants}forge({report!r})\n"


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The GPU path on this machine: the runner's Python sees a (fake) CUDA; returns each pass's workspace."""
    workspaces: list[Path] = []
    prepare: Callable[[Workspace, bool], SandboxPython] = gpu_execute.prepare

    def with_fake_cuda(ws: Workspace, gpu: bool) -> SandboxPython:
        python = prepare(ws, gpu)
        workspaces.append(ws.path)
        ws.write("fake_cuda/sitecustomize.py", FAKE_CUDA)
        return dataclasses.replace(python, env={**python.env, "PYTHONPATH": f"fake_cuda:{python.env['PYTHONPATH']}"})

    monkeypatch.setattr(gpu_execute, "prepare", with_fake_cuda)
    monkeypatch.setattr(gpu_execute, "gpu_present", lambda: True)
    monkeypatch.setattr(gpu_execute, "nvidia_devices", lambda: ())
    monkeypatch.setattr(gpu_execute, "_BASELINES", {})
    return workspaces


def test_a_later_pass_never_writes_through_the_candidates_links(
    fake_gpu: list[Path], relu: Task, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The candidate replaces `nonce` and `config.json` with links to the canary and forges a PASS (the
    runner shares its process: issue 15), so the worker goes on to time the reference's baselines."""
    monkeypatch.setenv("FORGE_SANDBOX", "unshare")  # the GPU machine's mode: no bubblewrap there
    monkeypatch.setenv("FORGE_GPU_BASELINES", "eager")  # torch.compile's would build C++ for the CPU
    request = ExecutionRequest.for_code(relu, later_pass_links(canary), 60)
    result = get_domain("gpu").run(request)
    assert result.outcome is not Outcome.INFRA_ERROR, result.diagnostic
    assert canary.untouched()
    assert len(fake_gpu) == len(set(fake_gpu)) >= 2, "every pass runs in a workspace of its own"


def test_the_gpu_path_caps_the_jobs_memory_in_aggregate(relu: Task) -> None:
    """CUDA needs an unlimited address space per process, so the job's cgroup is what caps its memory."""
    limits = gpu_execute._limits(ExecutionRequest.for_code(relu, relu.reference, 60), GpuConfig(), gpu=True)
    assert limits.aggregate_memory_bytes < 1 << 40


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return gpu_present() and torch.cuda.is_available()


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda(), reason="needs a CUDA GPU")
def test_on_a_gpu_an_honest_pass_with_planted_links_is_timed_in_fresh_workspaces(
    relu: Task, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same attack with no forgery: a correct kernel that replaces `nonce` and `config.json` with
    links to the canary passes, and the baseline pass that follows writes nothing through them."""
    monkeypatch.setenv("FORGE_GPU_BASELINES", "eager")
    plants = "".join(
        _replace(name) + f"os.symlink({str(canary.path)!r}, {name!r})\n" for name in ("nonce", "config.json")
    )
    code = f"import os\n{plants}\n{relu.reference}"
    result = get_domain("gpu").run(ExecutionRequest.for_code(relu, code, 60))
    assert result.outcome is Outcome.PASS, result.diagnostic
    assert result.metrics["speedup_eager"] > 0
    assert canary.untouched()
