"""Small fused sequences (KernelBench level 2): several PyTorch ops, one kernel, one pass over memory.

Each reference chains two to four ops that PyTorch eager runs as separate kernels (and separate
round trips through device memory); the golden fuses them. The broadcast operands are read per
column (`cols`), per row, or per label, as in the level-1 problems they build on.
"""

from __future__ import annotations

from backends.gpu.problem import Family, KernelProblem, reference_source, solution_source

FLAT_SIZES: tuple[dict[str, int | str], ...] = ({"M": 4096, "N": 4096}, {"M": 2048, "N": 6000})
ROW_SIZES: tuple[dict[str, int | str], ...] = ({"M": 4096, "N": 1000}, {"M": 2048, "N": 4096})
SMALL = {"M": 37, "N": 203}
GELU = "0.5 * {0} * (1.0 + tl.erf({0} * 0.7071067811865476))"


def silu_mul(M: int, N: int) -> KernelProblem:
    reference = reference_source(
        '''
        class Model(nn.Module):
            """The SwiGLU gate: SiLU(a) * b."""

            def __init__(self):
                super().__init__()

            def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
                return F.silu(a) * b
        ''',
        {"M": M, "N": N},
        "[torch.randn(M, N), torch.randn(M, N)]",
    )
    solution = solution_source(
        """
        @triton.jit
        def silu_mul_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
            pid = tl.program_id(0)
            offs = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            mask = offs < n_elements
            a = tl.load(a_ptr + offs, mask=mask).to(tl.float32)
            b = tl.load(b_ptr + offs, mask=mask).to(tl.float32)
            tl.store(out_ptr + offs, a / (1.0 + tl.exp(-a)) * b, mask=mask)


        class ModelNew(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
                a, b = a.contiguous(), b.contiguous()
                out = torch.empty_like(a)
                n_elements = a.numel()
                BLOCK_SIZE = 1024
                silu_mul_kernel[(triton.cdiv(n_elements, BLOCK_SIZE),)](a, b, out, n_elements, BLOCK_SIZE=BLOCK_SIZE)
                return out
        """
    )
    spec = f"Compute SiLU(a) * b for a, b of shape (M, N) = ({M}, {N}) in one pass."
    return KernelProblem("silu_mul", 2, {"M": M, "N": N}, spec, reference, solution, SMALL)


def bias_gelu_residual(M: int, N: int) -> KernelProblem:
    reference = reference_source(
        '''
        class Model(nn.Module):
            """Adds a per-column bias, applies exact GELU, adds a residual."""

            def __init__(self):
                super().__init__()

            def forward(self, x: torch.Tensor, bias: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
                return F.gelu(x + bias) + residual
        ''',
        {"M": M, "N": N},
        "[torch.randn(M, N), torch.randn(N), torch.randn(M, N)]",
    )
    solution = solution_source(
        f"""
        @triton.jit
        def bias_gelu_residual_kernel(x_ptr, bias_ptr, r_ptr, out_ptr, n_elements, N, BLOCK_SIZE: tl.constexpr):
            pid = tl.program_id(0)
            offs = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
            mask = offs < n_elements
            cols = offs % N
            x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
            b = tl.load(bias_ptr + cols, mask=mask).to(tl.float32)
            r = tl.load(r_ptr + offs, mask=mask).to(tl.float32)
            h = x + b
            tl.store(out_ptr + offs, {GELU.format("h")} + r, mask=mask)


        class ModelNew(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, x: torch.Tensor, bias: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
                x, residual = x.contiguous(), residual.contiguous()
                out = torch.empty_like(x)
                n_elements = x.numel()
                BLOCK_SIZE = 1024
                grid = (triton.cdiv(n_elements, BLOCK_SIZE),)
                bias_gelu_residual_kernel[grid](x, bias, residual, out, n_elements, x.shape[1], BLOCK_SIZE=BLOCK_SIZE)
                return out
        """
    )
    spec = f"Compute GELU(x + bias) + residual for x, residual (M, N) = ({M}, {N}) and bias (N,), in one pass."
    return KernelProblem("bias_gelu_residual", 2, {"M": M, "N": N}, spec, reference, solution, SMALL)


def add_layer_norm(M: int, N: int) -> KernelProblem:
    reference = reference_source(
        '''
        class Model(nn.Module):
            """LayerNorm of a residual sum: LayerNorm(x + residual), with an affine weight and bias."""

            def __init__(self, normalized_shape: int):
                super().__init__()
                self.ln = nn.LayerNorm(normalized_shape)
                nn.init.normal_(self.ln.weight)
                nn.init.normal_(self.ln.bias)

            def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
                return self.ln(x + residual)
        ''',
        {"M": M, "N": N},
        "[torch.randn(M, N), torch.randn(M, N)]",
        "[N]",
    )
    solution = solution_source(
        """
        @triton.jit
        def add_layer_norm_kernel(x_ptr, r_ptr, w_ptr, b_ptr, out_ptr, n_cols, stride_row, eps,
                                  BLOCK_SIZE: tl.constexpr):
            row = tl.program_id(0)
            cols = tl.arange(0, BLOCK_SIZE)
            mask = cols < n_cols
            x = tl.load(x_ptr + row * stride_row + cols, mask=mask, other=0.0).to(tl.float32)
            r = tl.load(r_ptr + row * stride_row + cols, mask=mask, other=0.0).to(tl.float32)
            h = x + r
            mean = tl.sum(h, axis=0) / n_cols
            diff = tl.where(mask, h - mean, 0.0)
            var = tl.sum(diff * diff, axis=0) / n_cols
            rstd = 1.0 / tl.sqrt(var + eps)
            w = tl.load(w_ptr + cols, mask=mask)
            b = tl.load(b_ptr + cols, mask=mask)
            tl.store(out_ptr + row * stride_row + cols, diff * rstd * w + b, mask=mask)


        class ModelNew(nn.Module):
            def __init__(self, normalized_shape: int):
                super().__init__()
                self.ln = nn.LayerNorm(normalized_shape)
                nn.init.normal_(self.ln.weight)
                nn.init.normal_(self.ln.bias)

            def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
                x, residual = x.contiguous(), residual.contiguous()
                out = torch.empty_like(x)
                n_rows, n_cols = x.shape
                BLOCK_SIZE = triton.next_power_of_2(n_cols)
                add_layer_norm_kernel[(n_rows,)](x, residual, self.ln.weight, self.ln.bias, out, n_cols, x.stride(0),
                                                 self.ln.eps, BLOCK_SIZE=BLOCK_SIZE, num_warps=8)
                return out
        """
    )
    spec = f"Compute LayerNorm(x + residual) over the last dimension for x, residual (M, N) = ({M}, {N})."
    return KernelProblem("add_layer_norm", 2, {"M": M, "N": N}, spec, reference, solution, SMALL)


def scale_bias_softmax(M: int, N: int) -> KernelProblem:
    reference = reference_source(
        '''
        class Model(nn.Module):
            """Attention-score style: softmax(x * scale + bias) over each row, bias per column."""

            def __init__(self, scale: float):
                super().__init__()
                self.scale = scale

            def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
                return torch.softmax(x * self.scale + bias, dim=-1)
        ''',
        {"M": M, "N": N, "scale": 0.125},
        "[torch.randn(M, N), torch.randn(N)]",
        "[scale]",
    )
    solution = solution_source(
        """
        @triton.jit
        def scale_bias_softmax_kernel(x_ptr, bias_ptr, out_ptr, n_cols, stride_row, scale, BLOCK_SIZE: tl.constexpr):
            row = tl.program_id(0)
            cols = tl.arange(0, BLOCK_SIZE)
            mask = cols < n_cols
            x = tl.load(x_ptr + row * stride_row + cols, mask=mask, other=0.0).to(tl.float32)
            b = tl.load(bias_ptr + cols, mask=mask, other=0.0).to(tl.float32)
            z = tl.where(mask, x * scale + b, float("-inf"))
            z = z - tl.max(z, axis=0)
            num = tl.exp(z)
            tl.store(out_ptr + row * stride_row + cols, num / tl.sum(num, axis=0), mask=mask)


        class ModelNew(nn.Module):
            def __init__(self, scale: float):
                super().__init__()
                self.scale = scale

            def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
                x = x.contiguous()
                out = torch.empty_like(x)
                n_rows, n_cols = x.shape
                BLOCK_SIZE = triton.next_power_of_2(n_cols)
                scale_bias_softmax_kernel[(n_rows,)](x, bias, out, n_cols, x.stride(0), self.scale,
                                                     BLOCK_SIZE=BLOCK_SIZE, num_warps=8)
                return out
        """
    )
    spec = f"Compute softmax(x * scale + bias) over each row of x (M, N) = ({M}, {N}), bias (N,), scale 0.125."
    return KernelProblem("scale_bias_softmax", 2, {"M": M, "N": N}, spec, reference, solution, SMALL)


def cross_entropy(M: int, N: int) -> KernelProblem:
    reference = reference_source(
        '''
        class Model(nn.Module):
            """Mean cross-entropy of logits (M classes per row) against integer labels."""

            def __init__(self):
                super().__init__()

            def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
                return F.cross_entropy(logits, targets)
        ''',
        {"M": M, "N": N},
        "[torch.randn(M, N), torch.randint(0, N, (M,))]",
    )
    solution = solution_source(
        """
        @triton.jit
        def cross_entropy_kernel(logits_ptr, targets_ptr, out_ptr, n_rows, n_cols, stride_row,
                                 BLOCK_SIZE: tl.constexpr):
            row = tl.program_id(0)
            cols = tl.arange(0, BLOCK_SIZE)
            mask = cols < n_cols
            x = tl.load(logits_ptr + row * stride_row + cols, mask=mask, other=float("-inf")).to(tl.float32)
            row_max = tl.max(x, axis=0)
            lse = tl.log(tl.sum(tl.exp(x - row_max), axis=0)) + row_max
            target = tl.load(targets_ptr + row)
            picked = tl.load(logits_ptr + row * stride_row + target).to(tl.float32)
            tl.atomic_add(out_ptr, (lse - picked) / n_rows)


        class ModelNew(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
                logits = logits.contiguous()
                out = torch.zeros((), device=logits.device, dtype=torch.float32)
                n_rows, n_cols = logits.shape
                BLOCK_SIZE = triton.next_power_of_2(n_cols)
                cross_entropy_kernel[(n_rows,)](logits, targets, out, n_rows, n_cols, logits.stride(0),
                                                BLOCK_SIZE=BLOCK_SIZE, num_warps=8)
                return out
        """
    )
    spec = f"Compute the mean cross-entropy of logits (M, N) = ({M}, {N}) against labels (M,) in [0, N)."
    return KernelProblem("cross_entropy", 2, {"M": M, "N": N}, spec, reference, solution, SMALL)


FAMILIES: tuple[Family, ...] = (
    Family("silu_mul", FLAT_SIZES, silu_mul, level=2, tags=("fused", "elementwise")),
    Family("bias_gelu_residual", FLAT_SIZES, bias_gelu_residual, level=2, tags=("fused", "broadcast")),
    Family("add_layer_norm", ROW_SIZES, add_layer_norm, level=2, tags=("fused", "normalization")),
    Family("scale_bias_softmax", ROW_SIZES, scale_bias_softmax, level=2, tags=("fused", "softmax")),
    Family("cross_entropy", ROW_SIZES, cross_entropy, level=2, tags=("fused", "loss", "atomic")),
)
