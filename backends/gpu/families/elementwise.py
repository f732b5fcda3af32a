"""Elementwise problems (KernelBench level 1): activations, and binary ops with broadcast operands.

Every solution is one flat kernel over the elements (`offs`, masked by `n_elements`). The broadcast
problems index their small operand per column (`cols = offs % N`) or per row (`rows = offs // N`):
the seed paper's hinge-loss bug is exactly that index replaced by the flat one.
"""

from __future__ import annotations

from dataclasses import dataclass

from backends.gpu.problem import Family, KernelProblem, reference_source, solution_source

SIZES: tuple[dict[str, int | str], ...] = ({"M": 4096, "N": 4096}, {"M": 2048, "N": 6000})
SMALL = {"M": 37, "N": 203}


@dataclass(frozen=True)
class UnaryOp:
    """An activation: its PyTorch expression, its Triton expression on float32 `x`, and an optional
    scalar constructor argument (name, value) both models take."""

    doc: str
    torch_expr: str
    triton_expr: str
    scalar: tuple[str, float] | None = None


UNARY_OPS: dict[str, UnaryOp] = {
    "relu": UnaryOp("ReLU", "torch.relu(x)", "tl.maximum(x, 0.0)"),
    "leaky_relu": UnaryOp(
        "LeakyReLU with a given negative slope",
        "F.leaky_relu(x, negative_slope=self.negative_slope)",
        "tl.where(x >= 0.0, x, x * negative_slope)",
        ("negative_slope", 0.05),
    ),
    "sigmoid": UnaryOp("the logistic sigmoid", "torch.sigmoid(x)", "1.0 / (1.0 + tl.exp(-x))"),
    "tanh": UnaryOp("tanh", "torch.tanh(x)", "2.0 / (1.0 + tl.exp(-2.0 * x)) - 1.0"),
    "gelu": UnaryOp("exact (erf) GELU", "F.gelu(x)", "0.5 * x * (1.0 + tl.erf(x * 0.7071067811865476))"),
    "silu": UnaryOp("SiLU (swish)", "F.silu(x)", "x / (1.0 + tl.exp(-x))"),
    "softplus": UnaryOp("softplus (beta 1, threshold 20)", "F.softplus(x)",
                        "tl.where(x > 20.0, x, tl.log(1.0 + tl.exp(x)))"),
    "elu": UnaryOp("ELU with a given alpha", "F.elu(x, alpha=self.alpha)",
                   "tl.where(x > 0.0, x, alpha * (tl.exp(x) - 1.0))", ("alpha", 1.3)),
    "hardswish": UnaryOp("hardswish", "F.hardswish(x)", "x * tl.minimum(tl.maximum(x + 3.0, 0.0), 6.0) / 6.0"),
    "selu": UnaryOp(
        "SELU", "torch.selu(x)",
        "1.0507009873554805 * tl.where(x > 0.0, x, 1.6732632423543772 * (tl.exp(x) - 1.0))",
    ),
}  # fmt: skip


def _unary_problem(name: str, op: UnaryOp, M: int, N: int) -> KernelProblem:
    scalar_name = op.scalar[0] if op.scalar else ""
    init_sig = f", {scalar_name}: float" if op.scalar else ""
    # indented as the templates below indent a constructor's body
    init_body = f"\n                self.{scalar_name} = {scalar_name}" if op.scalar else ""
    kernel_arg = f", {scalar_name}" if op.scalar else ""
    call_arg = f", self.{scalar_name}" if op.scalar else ""
    constants: dict[str, object] = {"M": M, "N": N}
    if op.scalar:
        constants[scalar_name] = op.scalar[1]
    reference = reference_source(
        f'''
        class Model(nn.Module):
            """Applies {op.doc} elementwise."""

            def __init__(self{init_sig}):
                super().__init__(){init_body}

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return {op.torch_expr}
        ''',
        constants,
        "[torch.randn(M, N)]",
        f"[{scalar_name}]" if op.scalar else "[]",
    )
    solution = solution_source(
        f"""
        @triton.jit
        def {name}_kernel(x_ptr, out_ptr, n_elements{kernel_arg}, BLOCK_SIZE: tl.constexpr):
            pid = tl.program_id(0)
            offs = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            mask = offs < n_elements
            x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
            y = {op.triton_expr}
            tl.store(out_ptr + offs, y.to(out_ptr.dtype.element_ty), mask=mask)


        class ModelNew(nn.Module):
            def __init__(self{init_sig}):
                super().__init__(){init_body}

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                x = x.contiguous()
                out = torch.empty_like(x)
                n_elements = x.numel()
                BLOCK_SIZE = 1024
                grid = (triton.cdiv(n_elements, BLOCK_SIZE),)
                {name}_kernel[grid](x, out, n_elements{call_arg}, BLOCK_SIZE=BLOCK_SIZE)
                return out
        """
    )
    return KernelProblem(
        family=name,
        level=1,
        params={"M": M, "N": N},
        spec=f"Apply {op.doc} elementwise to a float32 tensor of shape (M, N) = ({M}, {N}).",
        reference=reference,
        solution=solution,
        small_shapes=SMALL,
    )


def _unary_family(name: str, op: UnaryOp) -> Family:
    return Family(name, SIZES, lambda M, N: _unary_problem(name, op, M, N), level=1, tags=("elementwise",))


def bias_add(M: int, N: int) -> KernelProblem:
    """x (M, N) plus a bias (N,) broadcast over rows: the bias is indexed per column."""
    reference = reference_source(
        '''
        class Model(nn.Module):
            """Adds a per-column bias to a matrix."""

            def __init__(self):
                super().__init__()

            def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
                return x + bias
        ''',
        {"M": M, "N": N},
        "[torch.randn(M, N), torch.randn(N)]",
    )
    solution = solution_source(
        """
        @triton.jit
        def bias_add_kernel(x_ptr, bias_ptr, out_ptr, n_elements, N, BLOCK_SIZE: tl.constexpr):
            pid = tl.program_id(0)
            offs = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            mask = offs < n_elements
            cols = offs % N
            x = tl.load(x_ptr + offs, mask=mask)
            b = tl.load(bias_ptr + cols, mask=mask)
            tl.store(out_ptr + offs, x + b, mask=mask)


        class ModelNew(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
                x = x.contiguous()
                out = torch.empty_like(x)
                n_elements = x.numel()
                BLOCK_SIZE = 1024
                grid = (triton.cdiv(n_elements, BLOCK_SIZE),)
                bias_add_kernel[grid](x, bias, out, n_elements, x.shape[1], BLOCK_SIZE=BLOCK_SIZE)
                return out
        """
    )
    spec = f"Add a bias vector of shape (N,) to every row of x of shape (M, N) = ({M}, {N})."
    return KernelProblem("bias_add", 1, {"M": M, "N": N}, spec, reference, solution, SMALL)


def row_scale(M: int, N: int) -> KernelProblem:
    """x (M, N) times a per-row scale (M, 1): the scale is indexed per row."""
    reference = reference_source(
        '''
        class Model(nn.Module):
            """Scales every row of a matrix by its own factor."""

            def __init__(self):
                super().__init__()

            def forward(self, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
                return x * scale
        ''',
        {"M": M, "N": N},
        "[torch.randn(M, N), torch.randn(M, 1)]",
    )
    solution = solution_source(
        """
        @triton.jit
        def row_scale_kernel(x_ptr, scale_ptr, out_ptr, n_elements, N, BLOCK_SIZE: tl.constexpr):
            pid = tl.program_id(0)
            offs = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            mask = offs < n_elements
            rows = offs // N
            x = tl.load(x_ptr + offs, mask=mask)
            s = tl.load(scale_ptr + rows, mask=mask)
            tl.store(out_ptr + offs, x * s, mask=mask)


        class ModelNew(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
                x = x.contiguous()
                out = torch.empty_like(x)
                n_elements = x.numel()
                BLOCK_SIZE = 1024
                grid = (triton.cdiv(n_elements, BLOCK_SIZE),)
                row_scale_kernel[grid](x, scale, out, n_elements, x.shape[1], BLOCK_SIZE=BLOCK_SIZE)
                return out
        """
    )
    spec = f"Multiply each row of x of shape (M, N) = ({M}, {N}) by its entry of scale, shape (M, 1)."
    return KernelProblem("row_scale", 1, {"M": M, "N": N}, spec, reference, solution, SMALL)


def multiply_add(M: int, N: int) -> KernelProblem:
    """a * b + c on three same-shaped tensors."""
    reference = reference_source(
        '''
        class Model(nn.Module):
            """Computes a * b + c elementwise."""

            def __init__(self):
                super().__init__()

            def forward(self, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
                return a * b + c
        ''',
        {"M": M, "N": N},
        "[torch.randn(M, N), torch.randn(M, N), torch.randn(M, N)]",
    )
    solution = solution_source(
        """
        @triton.jit
        def multiply_add_kernel(a_ptr, b_ptr, c_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
            pid = tl.program_id(0)
            offs = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            mask = offs < n_elements
            a = tl.load(a_ptr + offs, mask=mask).to(tl.float32)
            b = tl.load(b_ptr + offs, mask=mask).to(tl.float32)
            c = tl.load(c_ptr + offs, mask=mask).to(tl.float32)
            tl.store(out_ptr + offs, a * b + c, mask=mask)


        class ModelNew(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
                a, b, c = a.contiguous(), b.contiguous(), c.contiguous()
                out = torch.empty_like(a)
                n_elements = a.numel()
                BLOCK_SIZE = 1024
                grid = (triton.cdiv(n_elements, BLOCK_SIZE),)
                multiply_add_kernel[grid](a, b, c, out, n_elements, BLOCK_SIZE=BLOCK_SIZE)
                return out
        """
    )
    spec = f"Compute a * b + c for three float32 tensors of shape (M, N) = ({M}, {N})."
    return KernelProblem("multiply_add", 1, {"M": M, "N": N}, spec, reference, solution, SMALL)


FAMILIES: tuple[Family, ...] = (
    *(_unary_family(name, op) for name, op in UNARY_OPS.items()),
    Family("bias_add", SIZES, bias_add, level=1, tags=("elementwise", "broadcast")),
    Family("row_scale", SIZES, row_scale, level=1, tags=("elementwise", "broadcast")),
    Family("multiply_add", SIZES, multiply_add, level=1, tags=("elementwise",)),
)
