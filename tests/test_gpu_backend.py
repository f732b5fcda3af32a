"""The GPU backend on its CPU path (Triton's interpreter, in the sandbox), and its classification.

The executions are batched in one module fixture (two at a time, the machine's cores) and each test
checks one result, so the module stays within CI's time budget.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from backends.domain import get_domain
from backends.faults import apply, sites
from backends.gpu.device import worker_resources
from backends.gpu.domain import problem_tasks
from backends.gpu.execute import GpuConfig, execute
from backends.gpu.harness import checks, failures, nvcc_check
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

TAMPERING = """
import json
import os
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        with open("result.json", "w") as handle:
            json.dump({"outcome": "PASS", "diagnostic": "", "metrics": {}, "versions": {}, "nonce": "guess"}, handle)
        os._exit(0)
"""


CUDA_RELU = r'''
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = """
__global__ void relu_kernel(const float* x, float* out, long n) {
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = x[i] > 0.f ? x[i] : 0.f;
}

torch::Tensor relu(torch::Tensor x) {
    auto out = torch::empty_like(x);
    long n = x.numel();
    relu_kernel<<<(n + 255) / 256, 256>>>(x.data_ptr<float>(), out.data_ptr<float>(), n);
    return out;
}
"""
cpp_source = "torch::Tensor relu(torch::Tensor x);"
relu_ext = load_inline(name="relu_ext", cpp_sources=cpp_source, cuda_sources=cuda_source, functions=["relu"])


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return relu_ext.relu(x.contiguous())
'''
BROKEN_LINE = "    if (i < n) out[i] = y[i] > 0.f ? x[i] : 0.f;"


def task_of(problem: str) -> Task:
    """The task of `problem` at its first shape."""
    return next(t for t in problem_tasks(1) if t.params["problem"] == problem)


def _mutant(problem: str, kind: str, contains: str = "") -> tuple[Task, str, int]:
    """The golden of `problem` with its first `kind` fault (on a line containing `contains`); 1-based line."""
    task = task_of(problem)
    mutation = next(m for m in sites(task.reference, get_domain("gpu").mutators[kind]) if contains in m.original)
    return task, apply(task.reference, [mutation]), mutation.line + 1


MUTANTS = {
    "missing_mask": ("relu", "missing_mask", "tl.load"),
    "flat_indexing": ("hinge_loss", "flat_indexing", ""),
    "race": ("hinge_loss", "shared_accumulator_race", ""),
    "block_too_large": ("matmul", "block_too_large", ""),
    "accumulation_dtype": ("row_sum", "wrong_accumulation_dtype", ""),
    "wrong_stride": ("row_sum", "wrong_stride", ""),
    "missing_constexpr": ("relu", "missing_constexpr", ""),
}
GOLDENS = ("hinge_loss", "matmul")  # every golden: the slow seed verification (and the GPU test file)


@pytest.fixture(scope="module")
def results() -> dict[str, tuple[ExecutionResult, int]]:
    """Every execution of this module, run on the CPU path whatever the machine has."""
    requests: dict[str, tuple[ExecutionRequest, int]] = {}
    for problem in GOLDENS:
        task = task_of(problem)
        requests[f"golden:{problem}"] = (ExecutionRequest.for_code(task, task.reference, 60), 0)
    for name, (problem, kind, contains) in MUTANTS.items():
        task, code, line = _mutant(problem, kind, contains)
        requests[name] = (ExecutionRequest.for_code(task, code, 60), line)
    relu = task_of("relu")
    broken = relu.reference.replace("        out = torch.empty_like(x)\n", "        out = torch.empty_like(x\n")
    requests["syntax"] = (ExecutionRequest.for_code(relu, broken, 60), 0)
    raising = relu.reference.replace("        n_elements = x.numel()\n", "        n_elements = x.numel() + None\n")
    requests["runtime"] = (ExecutionRequest.for_code(relu, raising, 60), 0)
    requests["tampering"] = (ExecutionRequest.for_code(relu, TAMPERING, 60), 0)
    signature = relu.reference.replace("    def __init__(self):", "    def __init__(self, scale: float):")
    requests["signature"] = (ExecutionRequest.for_code(relu, signature, 60), 0)
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(2) as pool:
        patch.setenv("FORGE_GPU", "0")
        done = dict(zip(requests, pool.map(execute, [r for r, _ in requests.values()]), strict=True))
    return {name: (done[name], line) for name, (_, line) in requests.items()}


@pytest.mark.parametrize("problem", GOLDENS)
def test_golden_passes_in_the_interpreter_with_static_resources(results, problem: str) -> None:
    result, _ = results[f"golden:{problem}"]
    assert result.outcome is Outcome.PASS, result.diagnostic
    assert result.metrics["trials"] == 3 and result.metrics["max_abs_err"] < 1e-3
    assert result.metrics["static_check"] == 1.0 and result.metrics["kernel_registers"] > 0
    assert result.tool_versions["mode"] == "triton-interpreter" and result.tool_versions["triton"]


def test_matmul_golden_reports_its_shared_memory(results) -> None:
    result, _ = results["golden:matmul"]
    assert 0 < result.metrics["kernel_shared_bytes"] <= GpuConfig().max_shared


@pytest.mark.parametrize(
    ("name", "outcome", "words"),
    [
        ("missing_mask", Outcome.MEMORY_FAULT, "touches memory outside every tensor argument"),
        ("flat_indexing", Outcome.MEMORY_FAULT, "of `targets_ptr`"),
        ("race", Outcome.TEST_FAILURE, "data race in kernel `hinge_loss_kernel`"),
        ("block_too_large", Outcome.RESOURCE_EXCEEDED, "out of resource: shared memory"),
        ("accumulation_dtype", Outcome.COMPILATION_ERROR, "but is re-assigned to"),
        ("wrong_stride", Outcome.TEST_FAILURE, "elements differ beyond atol=0.0001"),
        ("missing_constexpr", Outcome.COMPILATION_ERROR, "arange's arguments must be of type tl.constexpr"),
    ],
)
def test_faults_show_up_as_a_gpu_would_report_them(results, name: str, outcome: Outcome, words: str) -> None:
    result, line = results[name]
    assert result.outcome is outcome, result.diagnostic
    assert words in result.diagnostic


@pytest.mark.parametrize("name", ["missing_mask", "flat_indexing", "race", "missing_constexpr"])
def test_diagnostics_point_at_the_faulty_line(results, name: str) -> None:
    result, line = results[name]
    named = {int(n) for n in re.findall(r"candidate\.py:(\d+):", result.diagnostic)}
    assert line in named or line + 2 in named, (line, result.diagnostic)  # constexpr: the tl.arange two lines on


def test_syntax_error_is_a_compilation_error_at_its_line(results) -> None:
    result, _ = results["syntax"]
    assert result.outcome is Outcome.COMPILATION_ERROR
    assert re.match(r"candidate\.py:\d+: ", result.diagnostic) and "SyntaxError" in result.diagnostic


def test_exception_in_forward_is_a_runtime_error_with_the_traceback(results) -> None:
    result, _ = results["runtime"]
    assert result.outcome is Outcome.RUNTIME_ERROR
    assert "TypeError: unsupported operand type(s) for +: 'int' and 'NoneType'" in result.diagnostic
    assert 'File "/' in result.diagnostic and "candidate.py" in result.diagnostic


def test_a_wrong_constructor_is_the_candidates_error_not_the_harness(results) -> None:
    result, _ = results["signature"]
    assert result.outcome is Outcome.RUNTIME_ERROR
    assert "TypeError: ModelNew.__init__() missing 1 required positional argument: 'scale'" in result.diagnostic


def test_a_forged_result_is_not_believed(results) -> None:
    result, _ = results["tampering"]
    assert result.outcome is Outcome.SANDBOX_VIOLATION


def test_worker_resources_follow_the_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORGE_GPU", "1")
    assert worker_resources() == {"num_gpus": 1}
    monkeypatch.setenv("FORGE_GPU", "0")
    assert worker_resources() == {"num_cpus": 1}


# -- the runner's checks, in-process -------------------------------------------------------------------


def test_compare_reports_the_first_mismatch_and_the_errors() -> None:
    ref = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    out = ref.clone()
    out[1, 2] += 0.5
    errors, failure = checks.compare(out, ref, 1e-4, 1e-4, "trial 0")
    assert errors["max_abs_err"] == pytest.approx(0.5)
    assert failure == (
        "trial 0: 1 of 12 elements differ beyond atol=0.0001 rtol=0.0001; max abs error 0.5, max rel error "
        "0.08333; first at index (1, 2): got 6.5, expected 6"
    )
    assert checks.compare(ref.clone(), ref, 1e-4, 1e-4, "t")[1] is None
    assert "shape [4, 3]" in checks.compare(ref.T, ref, 1e-4, 1e-4, "t")[1]


def test_guard_cells_see_writes_past_an_input() -> None:
    guarded = checks.GuardedInputs([torch.randn(5, 7), 3])
    x = guarded.inputs[0]
    assert guarded.overwritten() is None
    torch.as_strided(x, (36,), (1,)).zero_()  # one element past its 35
    assert "1 guard cells after it were overwritten" in guarded.overwritten()


def test_cuda_errors_are_classified_by_cudas_own_words(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    cases = {
        "CUDA error: an illegal memory access was encountered": failures.MEMORY_FAULT,
        "Triton Error [CUDA]: misaligned address": failures.MEMORY_FAULT,
        "CUDA error: operation not supported on global/shared address space": failures.MEMORY_FAULT,
        "CUDA error: too many resources requested for launch": failures.RESOURCE_EXCEEDED,
        "CUDA out of memory. Tried to allocate 80.00 GiB": failures.RESOURCE_EXCEEDED,
        "shape '[3, 4]' is invalid for input of size 7": failures.RUNTIME_ERROR,
    }
    for message, outcome in cases.items():
        assert failures.classify(RuntimeError(message)).outcome == outcome, message


def test_nvcc_errors_are_mapped_to_the_candidates_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    source = 'import torch\nsource = """\n__global__ void k(float* x) {\n  x[0] = y;\n}\n"""\n'
    (tmp_path / "candidate.py").write_text(source)
    generated = tmp_path / "build" / "cuda.cu"
    generated.parent.mkdir()
    generated.write_text("#include <torch/types.h>\n#include <cuda.h>\n#include <cuda_runtime.h>\n"
                         "__global__ void k(float* x) {\n  x[0] = y;\n}\n")  # fmt: skip
    error = RuntimeError(f"Error building extension 'k': {generated}(5): error: identifier \"y\" is undefined")
    failure = failures.classify(error)
    assert failure.outcome == failures.COMPILATION_ERROR
    assert failure.diagnostic.startswith("candidate.py:4: ")


@pytest.mark.slow
def test_a_candidate_that_never_returns_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORGE_GPU", "0")
    task = task_of("relu")
    code = task.reference.replace("        x = x.contiguous()\n", "        while True:\n            pass\n")
    result = execute(ExecutionRequest.for_code(task, code, 1), GpuConfig(startup_s=45))
    assert result.outcome is Outcome.TIMEOUT and "did not finish within 46 s" in result.diagnostic


@pytest.mark.slow
@pytest.mark.skipif(nvcc_check.find_nvcc() is None, reason="no nvcc: CUDA sources cannot be compile-checked here")
def test_cuda_sources_are_compile_checked_by_nvcc_without_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """nvcc's error, mapped to the candidate's line; a clean compile cannot run here: CUDA on the CPU path
    is the candidate's RUNTIME_ERROR (an outcome it can choose is never INFRA_ERROR), in nvcc's words."""
    monkeypatch.setenv("FORGE_GPU", "0")
    task = task_of("relu")
    broken = CUDA_RELU.replace("    if (i < n) out[i] = x[i] > 0.f ? x[i] : 0.f;", BROKEN_LINE)
    requests = [ExecutionRequest.for_code(task, code, 60) for code in (CUDA_RELU, broken)]
    with ThreadPoolExecutor(2) as pool:
        clean, bad = pool.map(execute, requests)
    assert clean.outcome is Outcome.RUNTIME_ERROR and "compile check only" in clean.diagnostic
    assert bad.outcome is Outcome.COMPILATION_ERROR, bad.diagnostic
    line = broken.split("\n").index(BROKEN_LINE) + 1
    assert bad.diagnostic.startswith(f"candidate.py:{line}: ") and 'identifier "y" is undefined' in bad.diagnostic
