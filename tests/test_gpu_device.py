"""The GPU backend on a real GPU: every golden, every fault kind, faults, CUDA C++, memcheck, timing.

Run on a machine with a CUDA GPU: `pytest -m gpu tests/test_gpu_device.py` (add `--noconftest` where
the store's dependencies are not installed). `FORGE_GPU_REPORT=path.json` also writes the seed
verification's counts there. Skipped without a GPU.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from backends.domain import get_domain
from backends.faults import apply, sites
from backends.gpu.device import gpu_present
from backends.gpu.domain import problem_tasks
from backends.gpu.execute import execute
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.outcome import Outcome
from tests.test_gpu_backend import BROKEN_LINE, CUDA_RELU, task_of
from tests.test_gpu_seeds import verify_and_report


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return gpu_present() and torch.cuda.is_available()


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not _cuda(), reason="needs a CUDA GPU")]
PARALLEL = 8  # sandboxes at once during verification; timing runs stay alone


def _run(requests: list[ExecutionRequest], parallel: int = PARALLEL) -> list[ExecutionResult]:
    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(execute, requests))


@pytest.fixture
def no_baselines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORGE_GPU_BASELINES", "")


def test_workers_take_a_whole_gpu() -> None:
    assert get_domain("gpu").worker_resources == {"num_gpus": 1}


def test_every_golden_passes_and_every_fault_kind_is_caught(no_baselines: None) -> None:
    """Seed verification of every problem at its first shape (prints the score per fault kind), and the
    golden of every other task: every task's golden must PASS on the GPU."""
    first = problem_tasks(1)
    summary = verify_and_report(first, _run)
    verified = {t.task_id for t in first}
    rest = [t for t in get_domain("gpu").seed_tasks(None) if t.task_id not in verified]
    results = _run([ExecutionRequest.for_code(t, t.reference) for t in rest])
    pairs = zip(rest, results, strict=True)
    failed = summary["failed"] + [(t.params, r.outcome, r.diagnostic[:400]) for t, r in pairs if r.outcome != "PASS"]
    print(f"goldens of all {len(first) + len(rest)} tasks: {len(first) + len(rest) - len(failed)} PASS")
    assert not failed
    assert all(caught > 0 for caught, _ in summary["by_kind"].values()), summary["by_kind"]


def test_a_pass_is_timed_against_eager_and_torch_compile() -> None:
    for problem in ("relu", "matmul"):
        task = task_of(problem)
        result = execute(ExecutionRequest.for_code(task, task.reference, 120))
        assert result.outcome is Outcome.PASS, result.diagnostic
        metrics = result.metrics
        for name in ("kernel_ms", "eager_ms", "compile_ms", "speedup_eager", "speedup_compile", "kernel_registers"):
            assert metrics[name] > 0, (problem, name, metrics)
        assert metrics["kernel_timing_trials"] >= 10 and result.tool_versions["device"]
    assert metrics["kernel_shared_bytes"] > 0  # the matmul stages its tiles in shared memory


def test_an_illegal_address_is_a_memory_fault_and_the_next_run_is_clean(no_baselines: None) -> None:
    task = task_of("relu")
    wild = task.reference.replace("tl.load(x_ptr + offs, mask=mask)", "tl.load(x_ptr - 4000000000 + offs, mask=mask)")
    assert wild != task.reference
    faulty, clean = _run([ExecutionRequest.for_code(task, wild, 60), ExecutionRequest.for_code(task, task.reference)])
    assert faulty.outcome is Outcome.MEMORY_FAULT, faulty.diagnostic
    # where the wild address lands decides CUDA's words: an illegal address, or outside the global window
    assert "illegal memory access" in faulty.diagnostic or "global/shared address space" in faulty.diagnostic
    assert clean.outcome is Outcome.PASS, clean.diagnostic


def test_a_tile_beyond_shared_memory_is_resource_exceeded(no_baselines: None) -> None:
    task = task_of("matmul")
    mutation = sites(task.reference, get_domain("gpu").mutators["block_too_large"])[0]
    result = execute(ExecutionRequest.for_code(task, apply(task.reference, [mutation]), 60))
    assert result.outcome is Outcome.RESOURCE_EXCEEDED, result.diagnostic
    assert "out of resource: shared memory" in result.diagnostic


def test_cuda_cpp_candidates_build_run_and_report_nvcc_errors(no_baselines: None) -> None:
    task = task_of("relu")
    broken = CUDA_RELU.replace("    if (i < n) out[i] = x[i] > 0.f ? x[i] : 0.f;", BROKEN_LINE)
    good, bad = _run([ExecutionRequest.for_code(task, CUDA_RELU, 60), ExecutionRequest.for_code(task, broken, 60)], 2)
    assert good.outcome is Outcome.PASS, good.diagnostic
    assert good.metrics["kernel_ms"] > 0 and good.metrics["kernel_registers"] > 0
    assert bad.outcome is Outcome.COMPILATION_ERROR, bad.diagnostic
    line = broken.split("\n").index(BROKEN_LINE) + 1
    assert bad.diagnostic.startswith(f"candidate.py:{line}: ") and 'identifier "y" is undefined' in bad.diagnostic


def test_memcheck_finds_the_read_that_a_masked_store_hides(no_baselines: None, monkeypatch) -> None:
    task = task_of("relu")
    mutations = sites(task.reference, get_domain("gpu").mutators["missing_mask"])
    mutation = next(m for m in mutations if "tl.load" in m.original)
    code = apply(task.reference, [mutation])
    plain = execute(ExecutionRequest.for_code(task, code, 60))
    monkeypatch.setenv("FORGE_GPU_MEMCHECK", "1")
    deep = execute(ExecutionRequest.for_code(task, code, 120))
    print(f"\nwithout memcheck: {plain.outcome}; with memcheck: {deep.outcome}\n{deep.diagnostic[:800]}")
    assert deep.outcome is Outcome.MEMORY_FAULT and "Invalid __global__ read" in deep.diagnostic
