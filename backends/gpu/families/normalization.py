"""Softmax and normalizations (KernelBench level 1): one program per row, the whole row in one block.

The block is the row length rounded up to a power of two, so the tail of every row is masked; the
statistics (max, sum, mean, variance) are computed in float32. LayerNorm and RMSNorm get random
affine parameters (drawn in the constructor, under the harness's seed), so a kernel that ignores or
misindexes them fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from backends.gpu.problem import Family, KernelProblem, reference_source, solution_source

SIZES: tuple[dict[str, int | str], ...] = ({"M": 4096, "N": 1000}, {"M": 2048, "N": 4096})
SMALL = {"M": 37, "N": 203}


@dataclass(frozen=True)
class RowNorm:
    """A row-wise normalization. `init`: extra lines of both constructors (parameters are created there,
    in the same order); `args`/`launch`: extra kernel parameters and the matching launch arguments;
    `loads`: kernel lines after `x` is loaded; `result`: the stored expression."""

    doc: str
    init_sig: str
    init: str
    init_inputs: str
    torch_forward: str
    args: str
    launch: str
    loads: str
    result: str
    other: str = "0.0"


ROW_NORMS: dict[str, RowNorm] = {
    "softmax": RowNorm(
        "a softmax over each row", "", "", "[]", "torch.softmax(x, dim=1)", "", "",
        "x = x - tl.max(x, axis=0)\n    num = tl.exp(x)\n    den = tl.sum(num, axis=0)",
        "num / den", other='float("-inf")',
    ),
    "log_softmax": RowNorm(
        "a log-softmax over each row", "", "", "[]", "torch.log_softmax(x, dim=1)", "", "",
        "x = x - tl.max(x, axis=0)\n    lse = tl.log(tl.sum(tl.exp(x), axis=0))",
        "x - lse", other='float("-inf")',
    ),
    "layer_norm": RowNorm(
        "LayerNorm over the last dimension, with an affine weight and bias",
        ", normalized_shape: int",
        "self.ln = nn.LayerNorm(normalized_shape)\nnn.init.normal_(self.ln.weight)\nnn.init.normal_(self.ln.bias)",
        "[N]", "self.ln(x)", ", w_ptr, b_ptr, eps", ", self.ln.weight, self.ln.bias, self.ln.eps",
        "mean = tl.sum(x, axis=0) / n_cols\n    diff = tl.where(mask, x - mean, 0.0)\n"
        "    var = tl.sum(diff * diff, axis=0) / n_cols\n    rstd = 1.0 / tl.sqrt(var + eps)\n"
        "    w = tl.load(w_ptr + cols, mask=mask)\n    b = tl.load(b_ptr + cols, mask=mask)",
        "diff * rstd * w + b",
    ),
    "rms_norm": RowNorm(
        "RMSNorm over the last dimension (eps 1e-6), with a weight",
        ", num_features: int",
        "self.weight = nn.Parameter(torch.randn(num_features))\nself.eps = 1e-6",
        "[N]", "x * torch.rsqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps) * self.weight",
        ", w_ptr, eps", ", self.weight, self.eps",
        "rstd = 1.0 / tl.sqrt(tl.sum(x * x, axis=0) / n_cols + eps)\n    w = tl.load(w_ptr + cols, mask=mask)",
        "x * rstd * w",
    ),
    "l2_normalize": RowNorm(
        "an L2 normalization of each row (F.normalize, eps 1e-12)", "", "", "[]", "F.normalize(x, p=2, dim=1)",
        "", "", "norm = tl.sqrt(tl.sum(x * x, axis=0))", "x / tl.maximum(norm, 1e-12)",
    ),
}  # fmt: skip


def _indent(lines: str, spaces: int) -> str:
    return lines.replace("\n", "\n" + " " * spaces)


def _row_norm_problem(name: str, op: RowNorm, M: int, N: int) -> KernelProblem:
    init = f"\n                {_indent(op.init, 16)}" if op.init else ""
    reference = reference_source(
        f'''
        class Model(nn.Module):
            """Applies {op.doc}."""

            def __init__(self{op.init_sig}):
                super().__init__(){init}

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return {op.torch_forward}
        ''',
        {"M": M, "N": N},
        "[torch.randn(M, N)]",
        op.init_inputs,
    )
    solution = solution_source(
        f"""
        @triton.jit
        def {name}_kernel(x_ptr, out_ptr, n_cols, stride_row{op.args}, BLOCK_SIZE: tl.constexpr):
            row = tl.program_id(0)
            cols = tl.arange(0, BLOCK_SIZE)
            mask = cols < n_cols
            x = tl.load(x_ptr + row * stride_row + cols, mask=mask, other={op.other}).to(tl.float32)
            {_indent(op.loads, 8)}
            tl.store(out_ptr + row * stride_row + cols, {op.result}, mask=mask)


        class ModelNew(nn.Module):
            def __init__(self{op.init_sig}):
                super().__init__(){init}

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                x = x.contiguous()
                out = torch.empty_like(x)
                n_rows, n_cols = x.shape
                BLOCK_SIZE = triton.next_power_of_2(n_cols)
                {name}_kernel[(n_rows,)](x, out, n_cols, x.stride(0){op.launch}, BLOCK_SIZE=BLOCK_SIZE, num_warps=8)
                return out
        """
    )
    spec = f"Apply {op.doc} to x of shape (M, N) = ({M}, {N})."
    return KernelProblem(name, 1, {"M": M, "N": N}, spec, reference, solution, SMALL)


def _family(name: str, op: RowNorm) -> Family:
    return Family(name, SIZES, lambda M, N: _row_norm_problem(name, op, M, N), level=1, tags=("normalization",))


FAMILIES: tuple[Family, ...] = tuple(_family(name, op) for name, op in ROW_NORMS.items())
