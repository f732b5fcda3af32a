"""Reductions over one or two arrays: array sum, dot product, sum of absolute differences.

Each keeps `unroll` independent vector accumulators (one dependency chain each), folds them with a
tree at the end, and finishes the elements past the last whole block one at a time.
"""

from __future__ import annotations

from backends.asm.families._stream import (
    ALIGNS,
    SIZES,
    TYPES,
    Lines,
    align_bytes,
    blocked_loop,
    combine,
    function,
    grid,
    hsum_epi32,
    hsum_epi64,
    load,
    mem,
    xmm,
)
from backends.asm.kernel import Array, Family, Kernel, Size

UNROLLS = (1, 2, 4)
_FLOAT_HELPERS = """
static double sum_abs(const void *p, size_t n, size_t elem) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += elem == 4 ? fabs(((const float *)p)[i]) : fabs(((const double *)p)[i]);
    return s;
}
static double sum_abs_products(const void *a, const void *b, size_t n, size_t elem) {
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += elem == 4 ? fabs((double)((const float *)a)[i] * ((const float *)b)[i])
                       : fabs(((const double *)a)[i] * ((const double *)b)[i]);
    return s;
}
"""
# Relative tolerances for float reductions, against the sum of magnitudes: the candidate may add
# in any order (lanes, unrolled accumulators); reordering n terms moves the result by at most about
# n * eps of that sum, and random data stays orders of magnitude below these bounds.
_RTOL = {"f32": "2e-5", "f64": "1e-13"}


def _float_hsum(acc: str, tmp: str, kind: str) -> Lines:
    """Horizontal sum of packed floats in `acc` into its low lane (`kind` ps or pd)."""
    if kind == "pd":
        return [f"movapd {acc}, {tmp}", f"unpckhpd {tmp}, {tmp}  # high lane", f"addsd {tmp}, {acc}"]
    return [f"movaps {acc}, {tmp}", f"movhlps {acc}, {tmp}  # lanes 2,3 down", f"addps {tmp}, {acc}",
            f"movaps {acc}, {tmp}", f"shufps $0x55, {tmp}, {tmp}  # lane 1", f"addss {tmp}, {acc}"]  # fmt: skip


def _sum_int(t: str, unroll: int, align: str) -> tuple[Lines, Lines, Lines, Lines]:
    """(setup, vector(j) blocks, after, scalar) for the integer sums into %rax."""
    accs, ld = [xmm(j) for j in range(unroll)], load(align)
    setup = ["xorl %eax, %eax", *(f"pxor {a}, {a}" for a in accs)]
    if t == "u8":
        setup.append("pxor %xmm15, %xmm15  # zero, for psadbw")
        vec = [[f"{ld} {mem('%rdi', 16 * j, 1)}, %xmm8", "psadbw %xmm15, %xmm8  # two sums of 8 bytes",
                f"paddq %xmm8, {accs[j]}"] for j in range(unroll)]  # fmt: skip
        scalar = ["movzbl (%rdi,%rcx,1), %edx", "addq %rdx, %rax"]
    elif t == "i16":
        setup += ["pcmpeqw %xmm15, %xmm15", "psrlw $15, %xmm15  # eight 16-bit ones, for pmaddwd"]
        vec = [[f"{ld} {mem('%rdi', 16 * j, 2)}, %xmm8", "pmaddwd %xmm15, %xmm8  # pairs summed to 32 bits",
                "pmovsxdq %xmm8, %xmm9", "pshufd $0xee, %xmm8, %xmm8", "pmovsxdq %xmm8, %xmm8",
                f"paddq %xmm9, {accs[j]}", f"paddq %xmm8, {accs[j]}"] for j in range(unroll)]  # fmt: skip
        scalar = ["movswq (%rdi,%rcx,2), %rdx", "addq %rdx, %rax"]
    elif t == "i32":
        vec = [[f"{ld} {mem('%rdi', 16 * j, 4)}, %xmm8", "pxor %xmm9, %xmm9", "pcmpgtd %xmm8, %xmm9  # sign masks",
                "movdqa %xmm8, %xmm10", "punpckldq %xmm9, %xmm8  # lanes 0,1 sign-extended",
                "punpckhdq %xmm9, %xmm10  # lanes 2,3", f"paddq %xmm8, {accs[j]}", f"paddq %xmm10, {accs[j]}"]
               for j in range(unroll)]  # fmt: skip
        scalar = ["movslq (%rdi,%rcx,4), %rdx", "addq %rdx, %rax"]
    else:  # i64: wrapping
        if align == "aligned16":
            vec = [[f"paddq {mem('%rdi', 16 * j, 8)}, {accs[j]}"] for j in range(unroll)]
        else:
            vec = [[f"movdqu {mem('%rdi', 16 * j, 8)}, %xmm8", f"paddq %xmm8, {accs[j]}"] for j in range(unroll)]
        scalar = ["addq (%rdi,%rcx,8), %rax"]
    after = [*combine("paddq", accs), *hsum_epi64("%xmm0", "%xmm8", "%rax")]
    return setup, [line for block in vec for line in block], after, scalar


def _sum_float(t: str, unroll: int, align: str) -> tuple[Lines, Lines, Lines, Lines]:
    """Float sums: accumulators xmm1.., result in xmm0's low lane."""
    es, kind = SIZES[t], "ps" if t == "f32" else "pd"
    accs = [xmm(j + 1) for j in range(unroll)]
    setup = ["xorps %xmm0, %xmm0", *(f"xorps {a}, {a}" for a in accs)]
    if align == "aligned16":
        vec = [[f"add{kind} {mem('%rdi', 16 * j, es)}, {accs[j]}"] for j in range(unroll)]
    else:
        vec = [[f"movu{kind} {mem('%rdi', 16 * j, es)}, %xmm8", f"add{kind} %xmm8, {accs[j]}"] for j in range(unroll)]
    after = [*combine(f"add{kind}", accs), *_float_hsum(accs[0], "%xmm8", kind), f"mova{kind} {accs[0]}, %xmm0"]
    scalar = [f"adds{kind[1]} (%rdi,%rcx,{es}), %xmm0"]
    return setup, [line for block in vec for line in block], after, scalar


def build_sum(type: str, unroll: int, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    floating = type in ("f32", "f64")
    returns = ctype if floating else ("uint64_t" if type == "u8" else "int64_t")
    setup, vector, after, scalar = (_sum_float if floating else _sum_int)(type, unroll, align)
    lanes = 16 // es
    body = [*setup, *blocked_loop("%rsi", lanes * unroll, vector, scalar, after), "ret"]
    acc = "uint64_t" if type == "i64" else returns
    reference = (f"    {acc} s = 0;\n    for (size_t i = 0; i < n; i++) s += ({acc})a[i];\n"
                 f"    return ({returns})s;")  # fmt: skip
    semantics = {
        "u8": "Return the sum of the n bytes a[0..n-1] as a 64-bit unsigned integer.",
        "i16": "Return the sum of a[0..n-1], each sign-extended, as an exact 64-bit integer.",
        "i32": "Return the sum of a[0..n-1], each sign-extended, as an exact 64-bit integer.",
        "i64": "Return the sum of a[0..n-1] modulo 2^64 (wrapping two's-complement addition).",
        "f32": "Return the sum of a[0..n-1] in single precision; any order of additions is accepted.",
        "f64": "Return the sum of a[0..n-1] in double precision; any order of additions is accepted.",
    }[type]
    if floating:
        semantics += f" Accepted when |result - sequential C sum| <= {_RTOL[type]} * sum(|a[i]|)."
    return Kernel(
        family="array_sum",
        params={"type": type, "unroll": unroll, "align": align},
        symbol=f"sum_{type}",
        returns=returns,
        args=(Array("a", ctype, "n", "in", "real" if floating else "bits"), Size("n")),
        reference_c=reference,
        semantics=semantics,
        golden=function(f"sum_{type}", body),
        align=align_bytes(align, es),
        isa="SSE4.1" if type == "i16" else "SSE2",
        tolerance=f"{_RTOL[type]} * sum_abs(a, n, {es})" if floating else None,
        helpers_c=_FLOAT_HELPERS if floating else "",
        notes=(f"The reference solution keeps {unroll} independent vector accumulator(s), "
               f"{16 * unroll} bytes per loop iteration.",),  # fmt: skip
    )


SUM = Family("array_sum", grid(type=("u8", "i16", "i32", "i64", "f32", "f64"), unroll=UNROLLS, align=ALIGNS), build_sum)


def _dot_vector(type: str, unroll: int, align: str) -> tuple[Lines, Lines, Lines, Lines]:
    """(setup, vector blocks, after, scalar) for a·b; floats accumulate in xmm1.. and return in xmm0."""
    es = SIZES[type]
    if type == "i32":
        accs, ld = [xmm(j) for j in range(unroll)], load(align)
        setup = ["xorl %eax, %eax", *(f"pxor {a}, {a}" for a in accs)]
        vec = [[f"{ld} {mem('%rdi', 16 * j, 4)}, %xmm8", f"{ld} {mem('%rsi', 16 * j, 4)}, %xmm9",
                "pmulld %xmm9, %xmm8  # low 32 bits of each product", f"paddd %xmm8, {accs[j]}"]
               for j in range(unroll)]  # fmt: skip
        after = [*combine("paddd", accs), *hsum_epi32("%xmm0", "%xmm8", "%eax")]
        scalar = ["movl (%rdi,%rcx,4), %r9d", "imull (%rsi,%rcx,4), %r9d", "addl %r9d, %eax"]
        return setup, [ln for block in vec for ln in block], after, scalar
    kind = "ps" if type == "f32" else "pd"
    accs = [xmm(j + 1) for j in range(unroll)]
    setup = ["xorps %xmm0, %xmm0", *(f"xorps {a}, {a}" for a in accs)]
    if align == "aligned16":
        vec = [[f"mova{kind} {mem('%rdi', 16 * j, es)}, %xmm8", f"mul{kind} {mem('%rsi', 16 * j, es)}, %xmm8",
                f"add{kind} %xmm8, {accs[j]}"] for j in range(unroll)]  # fmt: skip
    else:
        vec = [[f"movu{kind} {mem('%rdi', 16 * j, es)}, %xmm8", f"movu{kind} {mem('%rsi', 16 * j, es)}, %xmm9",
                f"mul{kind} %xmm9, %xmm8", f"add{kind} %xmm8, {accs[j]}"] for j in range(unroll)]  # fmt: skip
    s = kind[1]
    after = [*combine(f"add{kind}", accs), *_float_hsum(accs[0], "%xmm8", kind), f"mova{kind} {accs[0]}, %xmm0"]
    scalar = [f"movs{s} (%rdi,%rcx,{es}), %xmm8", f"muls{s} (%rsi,%rcx,{es}), %xmm8", f"adds{s} %xmm8, %xmm0"]
    return setup, [ln for block in vec for ln in block], after, scalar


def build_dot(type: str, unroll: int, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    floating = type != "i32"
    setup, vector, after, scalar = _dot_vector(type, unroll, align)
    body = [*setup, *blocked_loop("%rdx", (16 // es) * unroll, vector, scalar, after), "ret"]
    if floating:
        reference = f"    {ctype} s = 0;\n    for (size_t i = 0; i < n; i++) s += a[i] * b[i];\n    return s;"
        semantics = (f"Return the dot product sum(a[i] * b[i]) over i < n in {'single' if es == 4 else 'double'} "
                     "precision; any order of additions is accepted: |result - sequential C result| <= "
                     f"{_RTOL[type]} * sum(|a[i] * b[i]|).")  # fmt: skip
    else:
        reference = ("    uint32_t s = 0;\n    for (size_t i = 0; i < n; i++) s += (uint32_t)a[i] * (uint32_t)b[i];\n"
                     "    return (int32_t)s;")  # fmt: skip
        semantics = "Return sum(a[i] * b[i]) over i < n modulo 2^32, as int32_t (wrapping arithmetic)."
    fill = "real" if floating else "bits"
    return Kernel(
        family="dot_product",
        params={"type": type, "unroll": unroll, "align": align},
        symbol=f"dot_{type}",
        returns=ctype,
        args=(Array("a", ctype, "n", "in", fill), Array("b", ctype, "n", "in", fill), Size("n")),
        reference_c=reference,
        semantics=semantics,
        golden=function(f"dot_{type}", body),
        align=align_bytes(align, es),
        isa="SSE4.1" if type == "i32" else "SSE2",
        tolerance=f"{_RTOL[type]} * sum_abs_products(a, b, n, {es})" if floating else None,
        helpers_c=_FLOAT_HELPERS if floating else "",
        notes=(f"The reference solution keeps {unroll} independent accumulator(s), {unroll} vector(s) per iteration.",),
    )


def build_distance(metric: str, unroll: int, align: str) -> Kernel:
    """Sum of absolute (psadbw) or squared (pmaddwd) differences of two byte arrays."""
    ld, accs = load(align), [xmm(j) for j in range(unroll)]
    setup = ["xorl %eax, %eax", "pxor %xmm15, %xmm15  # zero", *(f"pxor {a}, {a}" for a in accs)]
    vec: Lines = []
    for j in range(unroll):
        a, b = mem("%rdi", 16 * j), mem("%rsi", 16 * j)
        if metric == "sad":
            vec += [f"{ld} {a}, %xmm8", f"{ld} {b}, %xmm9", "psadbw %xmm9, %xmm8  # |a-b| summed per 8 bytes",
                    f"paddq %xmm8, {accs[j]}"]  # fmt: skip
            continue
        vec += [f"{ld} {a}, %xmm8", f"{ld} {b}, %xmm10", "movdqa %xmm8, %xmm9", "movdqa %xmm10, %xmm11",
                "punpcklbw %xmm15, %xmm8  # bytes to 16-bit", "punpckhbw %xmm15, %xmm9", "punpcklbw %xmm15, %xmm10",
                "punpckhbw %xmm15, %xmm11", "psubw %xmm10, %xmm8", "psubw %xmm11, %xmm9",
                "pmaddwd %xmm8, %xmm8  # squares summed in pairs", "pmaddwd %xmm9, %xmm9", "paddd %xmm9, %xmm8",
                "movdqa %xmm8, %xmm9", "punpckldq %xmm15, %xmm8  # to 64-bit lanes", "punpckhdq %xmm15, %xmm9",
                f"paddq %xmm8, {accs[j]}", f"paddq %xmm9, {accs[j]}"]  # fmt: skip
    after = [*combine("paddq", accs), *hsum_epi64("%xmm0", "%xmm8", "%rax")]
    scalar = ["movzbl (%rdi,%rcx,1), %r9d", "movzbl (%rsi,%rcx,1), %r10d", "subl %r10d, %r9d"]
    if metric == "sad":
        scalar += ["movl %r9d, %r10d", "negl %r10d", "cmovs %r9d, %r10d  # |a-b|", "addq %r10, %rax"]
    else:
        scalar += ["imull %r9d, %r9d", "addq %r9, %rax"]
    body = [*setup, *blocked_loop("%rdx", 16 * unroll, vec, scalar, after), "ret"]
    term = "|a[i] - b[i]|" if metric == "sad" else "(a[i] - b[i])^2"
    expr = "(uint64_t)(a[i] > b[i] ? a[i] - b[i] : b[i] - a[i])" if metric == "sad" else \
        "(uint64_t)((int)a[i] - b[i]) * (uint64_t)((int)a[i] - b[i])"
    return Kernel(
        family="byte_distance",
        params={"metric": metric, "unroll": unroll, "align": align},
        symbol=f"{metric}_u8",
        returns="uint64_t",
        args=(Array("a", "uint8_t", "n", "in"), Array("b", "uint8_t", "n", "in"), Size("n")),
        reference_c=f"    uint64_t s = 0;\n    for (size_t i = 0; i < n; i++) s += {expr};\n    return s;",
        semantics=f"Return the sum over i < n of {term} for the unsigned bytes a[i], b[i], as an exact 64-bit sum.",
        golden=function(f"{metric}_u8", body),
        align=align_bytes(align, 1),
        isa="SSE2",
        notes=(f"The reference solution handles {16 * unroll} bytes per iteration "
               f"({'psadbw' if metric == 'sad' else 'widening to 16 bits, pmaddwd'}).",),  # fmt: skip
    )


DOT = Family("dot_product", grid(type=("f32", "f64", "i32"), unroll=UNROLLS, align=ALIGNS), build_dot)
DISTANCE = Family("byte_distance", grid(metric=("sad", "ssd"), unroll=UNROLLS, align=ALIGNS), build_distance)
