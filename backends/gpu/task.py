"""A GPU task row from a KernelBench-style reference: what the policy reads and what the backend needs.

`harness` is the reference module itself (Model, get_inputs, get_init_inputs); `reference` is a
correct solution (ModelNew). The interface is `ModelNew` with `Model`'s constructor and forward
signatures, read from the reference's syntax tree. `environment` carries what `execute` needs: the
tolerance, the small shapes for the CPU path and the odd-shape trial, and the GPU target.
"""

from __future__ import annotations

import ast
import json

from backends.gpu.problem import KernelProblem
from schemas.artifacts import Task

NAME = "gpu"
SEED_STAGE = "seed_tasks"
TARGET = "sm_90 (H100/H200)"
TOOLCHAIN = (
    "Triton (@triton.jit) JIT-compiled on the GPU, or CUDA C++ via torch.utils.cpp_extension.load_inline + nvcc; "
    "without a GPU: Triton's interpreter on CPU tensors (correctness only), CUDA compile-checked with nvcc"
)


class NotAKernelBenchProblem(ValueError):
    """A source without `class Model`, `get_inputs` and `get_init_inputs`."""


def _model_methods(reference: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(reference)
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    model = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Model"), None)
    if model is None or not {"get_inputs", "get_init_inputs"} <= names:
        raise NotAKernelBenchProblem("needs `class Model`, `get_inputs()` and `get_init_inputs()`")
    return {node.name: node for node in model.body if isinstance(node, ast.FunctionDef)}


def interface(reference: str) -> str:
    """`ModelNew` with the reference model's signatures."""
    methods = _model_methods(reference)
    lines = ["class ModelNew(nn.Module):"]
    for name in ("__init__", "forward"):
        if name not in methods:
            continue
        node = methods[name]
        returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
        lines.append(f"    def {name}({ast.unparse(node.args)}){returns}: ...")
    return "\n".join(lines)


def instruction(spec: str, reference: str, atol: float, rtol: float) -> str:
    return (
        f"{spec}\n\nWrite `ModelNew`, a drop-in replacement for `Model` below that computes the same outputs with "
        "custom GPU kernels: Triton (`@triton.jit`) or CUDA C++ compiled at run time with "
        "`torch.utils.cpp_extension.load_inline`. Give one self-contained Python file. Parameters are created "
        "with the same seed as `Model`'s, so create them in the same order. Outputs are checked on several fresh "
        f"random inputs, including sizes that are not multiples of any block size, to |out - ref| <= {atol:g} + "
        f"{rtol:g} * |ref|; the speed is then compared with PyTorch eager and torch.compile.\n\n"
        f"```python\n{reference.strip()}\n```"
    )


def make_task(
    family: str,
    params: dict[str, str],
    spec: str,
    harness: str,
    reference: str,
    environment: dict[str, str],
    stage: str = SEED_STAGE,
) -> Task:
    """A task; `environment` must hold dtype, atol, rtol, level and small_shapes (JSON)."""
    atol, rtol = float(environment["atol"]), float(environment["rtol"])
    return Task(
        stage=stage,
        task_id=Task.make_id(NAME, family, params),
        domain=NAME,
        family=family,
        params=params,
        instruction=instruction(spec, harness, atol, rtol),
        interface=interface(harness),
        reference=reference,
        harness=harness,
        environment={"target": TARGET, "toolchain": TOOLCHAIN, **environment},
    )


def task_from_problem(problem: KernelProblem, kind: str) -> Task:
    """The task of one problem instance, in family `kind`; the problem's name is a parameter."""
    atol, rtol = problem.atol_rtol
    environment = {
        "dtype": problem.dtype,
        "atol": f"{atol:g}",
        "rtol": f"{rtol:g}",
        "level": str(problem.level),
        "small_shapes": json.dumps(problem.small_shapes, sort_keys=True),
    }
    params = {"problem": problem.family, **{k: str(v) for k, v in problem.params.items()}}
    return make_task(kind, params, problem.spec, problem.reference, problem.solution, environment)
