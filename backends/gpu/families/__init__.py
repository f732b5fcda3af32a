"""Every seed problem of the GPU domain, and the task families they are grouped into.

Each module's `Family` objects are KernelBench-style problems (relu, softmax, matmul...), each over a
small grid of shapes: `PROBLEMS` has them by name. A task's family is its kernel kind, the module's
name (`KINDS`), and the problem is a parameter (`params["problem"]`): a family's grid is then every
(problem, shape) of that kind, so a sample of one task per family still spans elementwise,
reduction, normalization, matmul and fused kernels. One family per problem would make the smallest
sample 37 tasks, too many for the CPU path (about 8 CPU-seconds a check) in a demo.
"""

from __future__ import annotations

from backends.gpu.families import elementwise, fused, matmul, normalization, reductions
from backends.gpu.problem import Family

KINDS: dict[str, tuple[Family, ...]] = {
    "elementwise": elementwise.FAMILIES,
    "reduction": reductions.FAMILIES,
    "normalization": normalization.FAMILIES,
    "matmul": matmul.FAMILIES,
    "fused": fused.FAMILIES,
}
PROBLEMS: dict[str, Family] = {family.name: family for families in KINDS.values() for family in families}
