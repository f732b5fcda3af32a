"""GPU timing check: our CUDA-event timer against `triton.testing.do_bench` on the same kernel, and each
golden's speedup over PyTorch eager and torch.compile as the sandboxed backend reports it.

For each problem (the task's own shapes): the golden ModelNew is loaded in this process, the GPU is
kept busy for half a second (between problems it idles through the sandboxed run below, and its clocks
drop: a first measurement at low clocks read 60% slow on an H100), then it is timed `ROUNDS` times by
each timer, alternating (`ours` = `event_timer.median_ms`, the runner's timer; `do_bench` = Triton's,
asked for the median); each column is the median of its rounds, `ratio` = ours / do_bench, and
`spread` is the larger timer's (max - min) / median over its rounds: a ratio off 1 by less than the
spread is noise. Then the same golden goes through `execute` (sandboxed process, its own timing, the
reference's eager and torch.compile baselines). Needs a CUDA GPU.
Usage: `python bench/gpu_timing.py [problem ...]`.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import triton
from triton.testing import do_bench

from backends.gpu.domain import problem_tasks
from backends.gpu.execute import execute
from backends.gpu.harness.event_timer import median_ms
from schemas.artifacts import ExecutionRequest, Task

PROBLEMS = (
    "relu", "gelu", "softmax", "layer_norm", "row_sum", "col_sum", "cross_entropy", "matmul", "linear_relu", "bmm",
    "add_layer_norm",
)  # fmt: skip


HEADER = ("problem", "shape", "ours ms", "do_bench ms", "ratio", "spread", "sandbox ms", "eager ms", "x eager",
          "compile ms", "x compile")  # fmt: skip
ROUNDS = 5


def _module(name: str, source: str, directory: Path):
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _spread(times: list[float]) -> float:
    return (max(times) - min(times)) / statistics.median(times)


def in_process(task: Task, directory: Path) -> tuple[float, float, float]:
    """(ours, do_bench, spread): medians in ms over `ROUNDS` alternating runs, and their larger spread."""
    name = task.params["problem"]
    problem = _module(f"problem_{name}", task.harness, directory)
    golden = _module(f"golden_{name}", task.reference, directory)
    torch.manual_seed(0)
    model = golden.ModelNew(*problem.get_init_inputs()).cuda().eval()
    torch.manual_seed(1)
    inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in problem.get_inputs()]

    def call() -> object:
        with torch.no_grad():
            return model(*inputs)

    do_bench(call, warmup=100, rep=500)  # clocks up, caches and allocator warm; not counted
    ours, theirs = [], []
    for _ in range(ROUNDS):
        ours.append(median_ms(call)[0])
        theirs.append(do_bench(call, return_mode="median"))
    return statistics.median(ours), statistics.median(theirs), max(_spread(ours), _spread(theirs))


def _row(problem: str, task: Task, timed: tuple[float, float, float], metrics: dict[str, float]) -> tuple[str, ...]:
    nan, (ours, theirs, spread) = float("nan"), timed
    shape = "x".join(v for k, v in task.params.items() if k != "problem")
    return (problem, shape, f"{ours:.4f}", f"{theirs:.4f}", f"{ours / theirs:.3f}", f"{spread:.1%}",
            f"{metrics.get('kernel_ms', nan):.4f}", f"{metrics.get('eager_ms', nan):.4f}",
            f"{metrics.get('speedup_eager', nan):.2f}", f"{metrics.get('compile_ms', nan):.4f}",
            f"{metrics.get('speedup_compile', nan):.2f}")  # fmt: skip


def main(problems: list[str]) -> None:
    """Print each row as it is measured (a run cut short still reports), then the ratio summary."""
    tasks = {t.params["problem"]: t for t in problem_tasks(1)}
    print(f"GPU: {torch.cuda.get_device_name()}; torch {torch.__version__}, triton {triton.__version__}")
    widths = (16, 14, 9, 11, 6, 6, 10, 9, 7, 10, 9)
    print(" | ".join(cell.rjust(width) for cell, width in zip(HEADER, widths, strict=True)), flush=True)
    ratios = []
    with tempfile.TemporaryDirectory() as scratch:
        for problem in problems:
            task = tasks[problem]
            timed = in_process(task, Path(scratch))
            started = time.monotonic()
            result = execute(ExecutionRequest.for_code(task, task.reference, 120))
            if result.outcome.value != "PASS":
                print(f"{problem}: {result.outcome} {result.diagnostic[:300]}")
            row = _row(problem, task, timed, result.metrics)
            print(" | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)), flush=True)
            print(f"  {problem}: {time.monotonic() - started:.0f} s in the sandbox", file=sys.stderr)
            ratios.append(timed[0] / timed[1])
    print(f"ratio ours/do_bench: median {statistics.median(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:] or list(PROBLEMS))
