"""Reductions and losses (KernelBench level 1): along rows, along columns, and to a scalar.

Row reductions give each row one program that walks the row in blocks with a float32 accumulator.
The column sum and the scalar reductions split the work over many programs that combine their
partial results with `tl.atomic_add` on a zero-initialised output: the shared accumulator a plain
read-modify-write would race on.
"""

from __future__ import annotations

from dataclasses import dataclass

from backends.gpu.problem import Family, KernelProblem, reference_source, solution_source

SIZES: tuple[dict[str, int | str], ...] = ({"M": 4096, "N": 4096}, {"M": 1024, "N": 10000})
SMALL = {"M": 37, "N": 203}


@dataclass(frozen=True)
class RowReduction:
    """A reduction over the last dimension: the PyTorch call, the accumulator's start, the padding
    value for masked lanes, the accumulation step and the final combination."""

    doc: str
    torch_expr: str
    init: str
    other: str
    step: str
    finish: str


ROW_REDUCTIONS: dict[str, RowReduction] = {
    "row_sum": RowReduction("the sum", "torch.sum(x, dim=1)", "tl.zeros([BLOCK_SIZE], dtype=tl.float32)", "0.0",
                            "acc + x", "tl.sum(acc, axis=0)"),
    "row_mean": RowReduction("the mean", "torch.mean(x, dim=1)", "tl.zeros([BLOCK_SIZE], dtype=tl.float32)", "0.0",
                             "acc + x", "tl.sum(acc, axis=0) / n_cols"),
    "row_max": RowReduction("the maximum", "torch.max(x, dim=1).values",
                            'tl.full([BLOCK_SIZE], float("-inf"), dtype=tl.float32)', 'float("-inf")',
                            "tl.maximum(acc, x)", "tl.max(acc, axis=0)"),
    "row_l2_norm": RowReduction("the Euclidean norm", "torch.norm(x, p=2, dim=1)",
                                "tl.zeros([BLOCK_SIZE], dtype=tl.float32)", "0.0", "acc + x * x",
                                "tl.sqrt(tl.sum(acc, axis=0))"),
}  # fmt: skip


def _row_problem(name: str, op: RowReduction, M: int, N: int) -> KernelProblem:
    reference = reference_source(
        f'''
        class Model(nn.Module):
            """Reduces each row of a matrix to {op.doc} of its elements."""

            def __init__(self):
                super().__init__()

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return {op.torch_expr}
        ''',
        {"M": M, "N": N},
        "[torch.randn(M, N)]",
    )
    solution = solution_source(
        f"""
        @triton.jit
        def {name}_kernel(x_ptr, out_ptr, n_cols, stride_row, BLOCK_SIZE: tl.constexpr):
            row = tl.program_id(0)
            acc = {op.init}
            for start in range(0, n_cols, BLOCK_SIZE):
                cols = start + tl.arange(0, BLOCK_SIZE)
                mask = cols < n_cols
                x = tl.load(x_ptr + row * stride_row + cols, mask=mask, other={op.other})
                acc = {op.step}
            tl.store(out_ptr + row, {op.finish})


        class ModelNew(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                x = x.contiguous()
                n_rows, n_cols = x.shape
                out = torch.empty(n_rows, device=x.device, dtype=x.dtype)
                BLOCK_SIZE = 1024
                {name}_kernel[(n_rows,)](x, out, n_cols, x.stride(0), BLOCK_SIZE=BLOCK_SIZE)
                return out
        """
    )
    spec = f"Reduce each row of x, shape (M, N) = ({M}, {N}), to {op.doc} of its elements (output shape (M,))."
    return KernelProblem(name, 1, {"M": M, "N": N}, spec, reference, solution, SMALL)


def col_sum(M: int, N: int) -> KernelProblem:
    reference = reference_source(
        '''
        class Model(nn.Module):
            """Sums a matrix over its rows (one sum per column)."""

            def __init__(self):
                super().__init__()

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return torch.sum(x, dim=0)
        ''',
        {"M": M, "N": N},
        "[torch.randn(M, N)]",
    )
    solution = solution_source(
        """
        @triton.jit
        def col_sum_kernel(x_ptr, out_ptr, n_rows, n_cols, stride_row, stride_col,
                           BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
            pid_n = tl.program_id(0)
            pid_m = tl.program_id(1)
            rows = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
            cols = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
            tile_mask = (rows[:, None] < n_rows) & (cols[None, :] < n_cols)
            x = tl.load(x_ptr + rows[:, None] * stride_row + cols[None, :] * stride_col, mask=tile_mask, other=0.0)
            tl.atomic_add(out_ptr + cols, tl.sum(x, axis=0), mask=cols < n_cols)


        class ModelNew(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                n_rows, n_cols = x.shape
                out = torch.zeros(n_cols, device=x.device, dtype=torch.float32)
                BLOCK_M = 64
                BLOCK_N = 64
                grid = (triton.cdiv(n_cols, BLOCK_N), triton.cdiv(n_rows, BLOCK_M))
                col_sum_kernel[grid](x, out, n_rows, n_cols, x.stride(0), x.stride(1), BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N)
                return out
        """
    )
    spec = f"Sum x, shape (M, N) = ({M}, {N}), over its rows: one sum per column (output shape (N,))."
    # several row blocks (BLOCK_M = 64) even at the small shape, so programs share output columns
    return KernelProblem("col_sum", 1, {"M": M, "N": N}, spec, reference, solution, {"M": 150, "N": 203})


@dataclass(frozen=True)
class ScalarReduction:
    """A reduction of whole tensors to one number, as flat programs that each add their partial mean
    into the output with an atomic. `loads` are the kernel lines that read the inputs (`offs`, `mask`
    and, for per-row operands, `rows` are defined); `value` is the per-element term."""

    doc: str
    torch_expr: str
    inputs: str
    args: tuple[str, ...]
    loads: tuple[str, ...]
    value: str


SCALAR_REDUCTIONS: dict[str, ScalarReduction] = {
    "mean_all": ScalarReduction(
        "Computes the mean of all elements of a matrix of values in [0, 1).", "torch.mean(x)", "[torch.rand(M, N)]",
        ("x",), ("x = tl.load(x_ptr + offs, mask=mask)",), "x",
    ),
    "mse_loss": ScalarReduction(
        "Computes the mean squared error between predictions and targets.",
        "torch.mean((predictions - targets) ** 2)", "[torch.randn(M, N), torch.randn(M, N)]",
        ("predictions", "targets"),
        ("p = tl.load(predictions_ptr + offs, mask=mask)", "t = tl.load(targets_ptr + offs, mask=mask)"),
        "(p - t) * (p - t)",
    ),
    # The seed paper's example: one +1/-1 label per row, which must be read by row, not by element.
    "hinge_loss": ScalarReduction(
        "Computes the mean hinge loss of predictions (M, N) against one +1/-1 target per row (M,).",
        "torch.mean(torch.clamp(1 - predictions * targets.unsqueeze(1), min=0))",
        "[torch.randn(M, N), torch.randint(0, 2, (M,)).float() * 2 - 1]",
        ("predictions", "targets"),
        ("rows = offs // N", "p = tl.load(predictions_ptr + offs, mask=mask)",
         "t = tl.load(targets_ptr + rows, mask=mask)"),
        "tl.maximum(1.0 - p * t, 0.0)",
    ),
}  # fmt: skip


def _scalar_problem(name: str, op: ScalarReduction, M: int, N: int) -> KernelProblem:
    args = ", ".join(op.args)
    first = op.args[0]
    reference = reference_source(
        f'''
        class Model(nn.Module):
            """{op.doc}"""

            def __init__(self):
                super().__init__()

            def forward(self, {args}) -> torch.Tensor:
                return {op.torch_expr}
        ''',
        {"M": M, "N": N},
        op.inputs,
    )
    loads = "\n            ".join(op.loads)
    solution = solution_source(
        f"""
        @triton.jit
        def {name}_kernel({", ".join(f"{a}_ptr" for a in op.args)}, out_ptr, n_elements, N, BLOCK_SIZE: tl.constexpr):
            pid = tl.program_id(0)
            offs = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            mask = offs < n_elements
            {loads}
            value = tl.where(mask, {op.value}, 0.0)
            tl.atomic_add(out_ptr, tl.sum(value, axis=0) / n_elements)


        class ModelNew(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, {args}) -> torch.Tensor:
                {first} = {first}.contiguous()
                out = torch.zeros((), device={first}.device, dtype=torch.float32)
                n_elements = {first}.numel()
                BLOCK_SIZE = 2048
                grid = (triton.cdiv(n_elements, BLOCK_SIZE),)
                {name}_kernel[grid]({args}, out, n_elements, {first}.shape[-1], BLOCK_SIZE=BLOCK_SIZE)
                return out
        """
    )
    spec = f"{op.doc} Inputs have shape (M, N) = ({M}, {N}); the output is a scalar (0-dimensional tensor)."
    return KernelProblem(name, 1, {"M": M, "N": N}, spec, reference, solution, SMALL)


def _row_family(name: str, op: RowReduction) -> Family:
    return Family(name, SIZES, lambda M, N: _row_problem(name, op, M, N), level=1, tags=("reduction",))


def _scalar_family(name: str, op: ScalarReduction) -> Family:
    return Family(name, SIZES, lambda M, N: _scalar_problem(name, op, M, N), level=1, tags=("reduction", "atomic"))


FAMILIES: tuple[Family, ...] = (
    *(_row_family(name, op) for name, op in ROW_REDUCTIONS.items()),
    Family("col_sum", SIZES, col_sum, level=1, tags=("reduction", "atomic")),
    *(_scalar_family(name, op) for name, op in SCALAR_REDUCTIONS.items()),
)
