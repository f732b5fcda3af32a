"""Matrix products (KernelBench levels 1-2): GEMM, batched GEMM, GEMV, and GEMMs with fused epilogues.

The GEMMs tile the output in BLOCK_M x BLOCK_N programs that walk K in BLOCK_K steps with a float32
accumulator and `tl.dot(..., input_precision="tf32x3")`: three TF32 tensor-core products that recover
float32 accuracy (plain TF32 is about 1e-3 off, beyond the float32 tolerance; "ieee" runs on the
CUDA cores and makes the compiler unroll every FMA, slow to compile). The epilogue (bias,
activation, scale, residual) is applied to the accumulator before the one store. Operand tiles are
staged in shared memory, several K steps deep: the resource a too-large BLOCK_K exhausts.
"""

from __future__ import annotations

from dataclasses import dataclass

from backends.gpu.problem import Family, KernelProblem, reference_source, solution_source

GEMM_KERNEL = """
@triton.jit
def {name}_kernel(a_ptr, b_ptr, c_ptr{args}, M, N, K, stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
                  {batch_params}BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    {batch_offsets}rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, K, BLOCK_K):
        a_mask = (rm[:, None] < M) & (k + rk[None, :] < K)
        a = tl.load(a_ptr + rm[:, None] * stride_am + (k + rk)[None, :] * stride_ak, mask=a_mask, other=0.0)
        b_mask = (k + rk[:, None] < K) & (rn[None, :] < N)
        b = tl.load(b_ptr + (k + rk)[:, None] * stride_bk + rn[None, :] * stride_bn, mask=b_mask, other=0.0)
        acc += tl.dot(a, b, input_precision="tf32x3")
    c_mask = (rm[:, None] < M) & (rn[None, :] < N)
    {epilogue}tl.store(c_ptr + rm[:, None] * stride_cm + rn[None, :] * stride_cn, acc, mask=c_mask)
"""
BATCH_PARAMS = "stride_ab, stride_bb, stride_cb, "
BATCH_OFFSETS = (
    "batch = tl.program_id(2)\n"
    "    a_ptr += batch * stride_ab\n"
    "    b_ptr += batch * stride_bb\n"
    "    c_ptr += batch * stride_cb\n    "
)
BIAS = "bias = tl.load(bias_ptr + rn, mask=rn < N, other=0.0)\n    acc = acc + bias[None, :]\n    "
LINEAR_SIZES: tuple[dict[str, int | str], ...] = (
    {"batch_size": 1024, "in_features": 1024, "out_features": 1024},
    {"batch_size": 2048, "in_features": 1000, "out_features": 512},
)
LINEAR_SMALL = {"batch_size": 67, "in_features": 70, "out_features": 45}


def _gemm_kernel(name: str, args: str = "", epilogue: str = "", batched: bool = False) -> str:
    return GEMM_KERNEL.format(
        name=name,
        args=args,
        epilogue=epilogue,
        batch_params=BATCH_PARAMS if batched else "",
        batch_offsets=BATCH_OFFSETS if batched else "",
    ).strip()


def _launch(name: str, a: str, b: str, b_strides: str, extra: str = "") -> str:
    """The launch of a 2-D GEMM kernel over `out`; `b_strides` are B's (k, n) strides."""
    return (
        "BLOCK_M = 64\n        BLOCK_N = 64\n        BLOCK_K = 32\n"
        "        grid = (triton.cdiv(M, BLOCK_M), triton.cdiv(N, BLOCK_N))\n"
        f"        {name}_kernel[grid]({a}, {b}, out{extra}, M, N, K, {a}.stride(0), {a}.stride(1), {b_strides}, "
        "out.stride(0), out.stride(1),\n"
        "                          BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, BLOCK_K=BLOCK_K)"
    )


def matmul(M: int, N: int, K: int) -> KernelProblem:
    reference = reference_source(
        '''
        class Model(nn.Module):
            """Multiplies two matrices: C = A @ B."""

            def __init__(self):
                super().__init__()

            def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
                return torch.matmul(A, B)
        ''',
        {"M": M, "N": N, "K": K},
        "[torch.randn(M, K), torch.randn(K, N)]",
    )
    body = f"""
{_gemm_kernel("matmul")}


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        M, K = A.shape
        N = B.shape[1]
        out = torch.empty(M, N, device=A.device, dtype=torch.float32)
        {_launch("matmul", "A", "B", "B.stride(0), B.stride(1)")}
        return out
"""
    spec = f"Multiply A (M, K) by B (K, N) with (M, N, K) = ({M}, {N}, {K}), in float32."
    return KernelProblem("matmul", 1, {"M": M, "N": N, "K": K}, spec, reference, solution_source(body),
                         {"M": 67, "N": 45, "K": 70})  # fmt: skip


@dataclass(frozen=True)
class LinearEpilogue:
    """nn.Linear followed by an elementwise epilogue: the reference expression on `y = self.linear(x)`,
    extra constructor arguments and forward inputs, and the kernel lines applied to `acc`."""

    doc: str
    torch_expr: str
    init_sig: str
    init_body: str
    forward_extra: str
    kernel_args: str
    launch_args: str
    epilogue: str
    inputs_extra: str = ""
    init_inputs_extra: str = ""


LINEAR_EPILOGUES: dict[str, LinearEpilogue] = {
    "linear_relu": LinearEpilogue(
        "a linear layer followed by ReLU", "torch.relu(y)", "", "", "", ", bias_ptr", ", self.linear.bias",
        BIAS + "acc = tl.maximum(acc, 0.0)\n    ",
    ),
    "linear_gelu": LinearEpilogue(
        "a linear layer followed by exact GELU", "F.gelu(y)", "", "", "", ", bias_ptr", ", self.linear.bias",
        BIAS + "acc = 0.5 * acc * (1.0 + tl.erf(acc * 0.7071067811865476))\n    ",
    ),
    "linear_scale_residual": LinearEpilogue(
        "a linear layer, scaled, plus a residual input", "y * self.scale + residual", ", scale: float",
        "\n        self.scale = scale", ", residual: torch.Tensor", ", bias_ptr, r_ptr, scale",
        ", self.linear.bias, residual, self.scale",
        BIAS + "r = tl.load(r_ptr + rm[:, None] * stride_cm + rn[None, :] * stride_cn, mask=c_mask, other=0.0)\n"
        "    acc = acc * scale + r\n    ",
        inputs_extra=", torch.randn(batch_size, out_features)", init_inputs_extra=", 0.5",
    ),
}  # fmt: skip


def _linear_problem(name: str, op: LinearEpilogue, batch_size: int, in_features: int, out_features: int):
    constants = {"batch_size": batch_size, "in_features": in_features, "out_features": out_features}
    init = f"""
    def __init__(self, in_features: int, out_features: int{op.init_sig}):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features){op.init_body}"""
    reference = reference_source(
        f'''
class Model(nn.Module):
    """Applies {op.doc}."""
{init}

    def forward(self, x: torch.Tensor{op.forward_extra}) -> torch.Tensor:
        y = self.linear(x)
        return {op.torch_expr}
''',
        constants,
        f"[torch.randn(batch_size, in_features){op.inputs_extra}]",
        f"[in_features, out_features{op.init_inputs_extra}]",
    )
    weight = "self.linear.weight"
    launch = _launch(name, "x", weight, f"{weight}.stride(1), {weight}.stride(0)", op.launch_args)
    body = f"""
{_gemm_kernel(name, op.kernel_args, op.epilogue)}


class ModelNew(nn.Module):{init}

    def forward(self, x: torch.Tensor{op.forward_extra}) -> torch.Tensor:
        M, K = x.shape
        N = self.linear.out_features
        out = torch.empty(M, N, device=x.device, dtype=torch.float32)
        {launch}
        return out
"""
    spec = (f"Apply {op.doc} to x of shape (batch_size, in_features) = ({batch_size}, {in_features}), "
            f"with out_features = {out_features}.")  # fmt: skip
    return KernelProblem(name, 2, constants, spec, reference, solution_source(body), LINEAR_SMALL)


def bmm(B: int, M: int, N: int, K: int) -> KernelProblem:
    reference = reference_source(
        '''
        class Model(nn.Module):
            """Batched matrix multiplication: C[i] = A[i] @ B[i]."""

            def __init__(self):
                super().__init__()

            def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
                return torch.bmm(A, B)
        ''',
        {"B": B, "M": M, "N": N, "K": K},
        "[torch.randn(B, M, K), torch.randn(B, K, N)]",
    )
    body = f"""
{_gemm_kernel("bmm", batched=True)}


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        batch, M, K = A.shape
        N = B.shape[2]
        out = torch.empty(batch, M, N, device=A.device, dtype=torch.float32)
        BLOCK_M = 64
        BLOCK_N = 64
        BLOCK_K = 32
        grid = (triton.cdiv(M, BLOCK_M), triton.cdiv(N, BLOCK_N), batch)
        bmm_kernel[grid](A, B, out, M, N, K, A.stride(1), A.stride(2), B.stride(1), B.stride(2), out.stride(1),
                         out.stride(2), A.stride(0), B.stride(0), out.stride(0),
                         BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, BLOCK_K=BLOCK_K)
        return out
"""
    spec = f"Multiply batches of matrices: A (B, M, K) by B (B, K, N) with (B, M, N, K) = ({B}, {M}, {N}, {K})."
    return KernelProblem("bmm", 1, {"B": B, "M": M, "N": N, "K": K}, spec, reference, solution_source(body),
                         {"B": 3, "M": 37, "N": 45, "K": 70})  # fmt: skip


def gemv(M: int, K: int) -> KernelProblem:
    reference = reference_source(
        '''
        class Model(nn.Module):
            """Matrix-vector product: y = A @ x."""

            def __init__(self):
                super().__init__()

            def forward(self, A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
                return torch.matmul(A, x)
        ''',
        {"M": M, "K": K},
        "[torch.randn(M, K), torch.randn(K)]",
    )
    solution = solution_source(
        """
        @triton.jit
        def gemv_kernel(a_ptr, x_ptr, y_ptr, M, K, stride_am, stride_ak, BLOCK_M: tl.constexpr, BLOCK_K: tl.constexpr):
            pid = tl.program_id(0)
            rm = pid * BLOCK_M + tl.arange(0, BLOCK_M)
            rk = tl.arange(0, BLOCK_K)
            acc = tl.zeros((BLOCK_M,), dtype=tl.float32)
            for k in range(0, K, BLOCK_K):
                a_mask = (rm[:, None] < M) & (k + rk[None, :] < K)
                a = tl.load(a_ptr + rm[:, None] * stride_am + (k + rk)[None, :] * stride_ak, mask=a_mask, other=0.0)
                x = tl.load(x_ptr + k + rk, mask=k + rk < K, other=0.0)
                acc += tl.sum(a * x[None, :], axis=1)
            tl.store(y_ptr + rm, acc, mask=rm < M)


        class ModelNew(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
                M, K = A.shape
                y = torch.empty(M, device=A.device, dtype=torch.float32)
                BLOCK_M = 64
                BLOCK_K = 128
                gemv_kernel[(triton.cdiv(M, BLOCK_M),)](A, x, y, M, K, A.stride(0), A.stride(1),
                                                        BLOCK_M=BLOCK_M, BLOCK_K=BLOCK_K)
                return y
        """
    )
    spec = f"Multiply A (M, K) by a vector x (K,) with (M, K) = ({M}, {K})."
    return KernelProblem("gemv", 1, {"M": M, "K": K}, spec, reference, solution, {"M": 67, "K": 203})


def _linear_family(name: str, op: LinearEpilogue) -> Family:
    return Family(name, LINEAR_SIZES, lambda **p: _linear_problem(name, op, **p), level=2, tags=("matmul", "fused"))


FAMILIES: tuple[Family, ...] = (
    Family("matmul", ({"M": 1024, "N": 1024, "K": 1024}, {"M": 2048, "N": 512, "K": 1000}), matmul, tags=("matmul",)),
    Family("bmm", ({"B": 16, "M": 256, "N": 256, "K": 256}, {"B": 8, "M": 512, "N": 384, "K": 1000}), bmm,
           tags=("matmul",)),
    Family("gemv", ({"M": 4096, "K": 4096}, {"M": 8192, "K": 1000}), gemv, tags=("matmul", "reduction")),
    *(_linear_family(name, op) for name, op in LINEAR_EPILOGUES.items()),
)  # fmt: skip
