"""A GPU kernel problem in KernelBench's format, and the parametric families that build them.

A problem is a PyTorch reference module (`Model`, `get_inputs()`, `get_init_inputs()`, with the
shapes as module-level constants, exactly as KernelBench writes them) and a golden `ModelNew` that
computes the same thing with Triton kernels. `small_shapes` overrides some of those constants with
small sizes that are not multiples of any block size: the CPU path (Triton's interpreter, slow)
checks at those sizes, and the GPU path adds one trial at them, so missing bounds masks show up.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

# (atol, rtol) per dtype, applied as |out - ref| <= atol + rtol * |ref|. float32 is tight enough that
# rounding a float32 result through float16 (relative error up to 2**-11 = 4.9e-4) fails; float16
# and bfloat16 leave room for a different summation order over a few thousand terms.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float32": (1e-4, 1e-4),
    "float16": (1e-2, 1e-2),
    "bfloat16": (2e-2, 2e-2),
}

REFERENCE_HEADER = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
SOLUTION_HEADER = "import torch\nimport torch.nn as nn\nimport triton\nimport triton.language as tl\n"


@dataclass(frozen=True)
class KernelProblem:
    """One problem: the reference (the harness), the golden Triton solution, and how to check it."""

    family: str  # the problem's name, its `Family`'s
    level: int
    params: dict[str, int | str]
    spec: str
    reference: str
    solution: str
    small_shapes: dict[str, int]
    dtype: str = "float32"
    tolerance: tuple[float, float] | None = None

    @property
    def atol_rtol(self) -> tuple[float, float]:
        return self.tolerance or TOLERANCES[self.dtype]


@dataclass(frozen=True)
class Family:
    """One problem over a grid of shapes: `build(**params)` for every `params` in `grid` gives one
    instance. Task families group these by kernel kind (`families.KINDS`)."""

    name: str
    grid: tuple[dict[str, int | str], ...]
    build: Callable[..., KernelProblem]
    level: int = 1
    tags: tuple[str, ...] = field(default_factory=tuple)

    def problems(self) -> list[KernelProblem]:
        return [self.build(**params) for params in self.grid]


def reference_source(model: str, constants: dict[str, object], inputs: str, init_inputs: str = "[]") -> str:
    """A KernelBench-format reference: the model class, the shape constants, the input factories."""
    constant_lines = "\n".join(f"{name} = {value!r}" for name, value in constants.items())
    return (
        f"{REFERENCE_HEADER}\n\n{textwrap.dedent(model).strip()}\n\n\n{constant_lines}\n\n\n"
        f"def get_inputs():\n    return {inputs}\n\n\ndef get_init_inputs():\n    return {init_inputs}\n"
    )


def solution_source(body: str) -> str:
    """A golden solution: the Triton imports, then kernels and `ModelNew`."""
    return f"{SOLUTION_HEADER}\n\n{textwrap.dedent(body).strip()}\n"
