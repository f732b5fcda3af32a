"""Small fixed-size matrix kernels: N x N multiply and transpose, row-major.

The multiply accumulates each output row over k in ascending order with broadcasts of a[i][k], so
every element sees the same additions in the same order as the C reference: exact even for floats.
The transpose moves one 16-byte-wide square block at a time through unpack stages in registers.
"""

from __future__ import annotations

from backends.asm.families._stream import (
    ALIGNS,
    SIZES,
    TYPES,
    Lines,
    align_bytes,
    function,
    grid,
    load,
    store,
    xmm,
)
from backends.asm.kernel import Array, Family, Kernel


def _broadcast_a(type: str) -> Lines:
    """a[i][k] (at (%rsi,%rcx,es)) into every lane of xmm8."""
    if type == "f32":
        return ["movss (%rsi,%rcx,4), %xmm8", "shufps $0, %xmm8, %xmm8  # a[i][k] everywhere"]
    if type == "f64":
        return ["movsd (%rsi,%rcx,8), %xmm8", "movlhps %xmm8, %xmm8  # a[i][k] twice"]
    return ["movd (%rsi,%rcx,4), %xmm8", "pshufd $0, %xmm8, %xmm8  # a[i][k] everywhere"]


def build_matmul(type: str, size: int, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    blocks, row = size * es // 16, size * es
    mul, add, zero = {"f32": ("mulps", "addps", "xorps"), "f64": ("mulpd", "addpd", "xorpd"),
                      "i32": ("pmulld", "paddd", "pxor")}[type]  # fmt: skip
    ld = {"f32": "movups", "f64": "movupd", "i32": "movdqu"}[type]
    st = ld.replace("u", "a", 1) if align == "aligned16" else ld
    per_k: Lines = []
    for jb in range(blocks):
        src = f"{16 * jb if jb else ''}(%r9)"
        if align == "aligned16":
            per_k += ["movdqa %xmm8, %xmm9" if type == "i32" else f"mova{mul[-2:]} %xmm8, %xmm9",
                      f"{mul} {src}, %xmm9", f"{add} %xmm9, {xmm(jb)}"]  # fmt: skip
        else:
            per_k += [f"{ld} {src}, %xmm9", f"{mul} %xmm8, %xmm9", f"{add} %xmm9, {xmm(jb)}"]
    body = [f"movl ${size}, %r8d  # rows left", ".Lrow:", *(f"{zero} {xmm(j)}, {xmm(j)}" for j in range(blocks)),
            "xorl %ecx, %ecx  # k", "movq %rdx, %r9  # &b[k][0]", ".Lk:", *_broadcast_a(type), *per_k,
            f"addq ${row}, %r9", "addq $1, %rcx", f"cmpq ${size}, %rcx", "jb .Lk",
            *(f"{st} {xmm(j)}, {16 * j if j else ''}(%rdi)" for j in range(blocks)),
            f"addq ${row}, %rsi  # next row of a", f"addq ${row}, %rdi  # next row of c", "subl $1, %r8d",
            "jne .Lrow", "ret"]  # fmt: skip
    acc = "uint32_t" if type == "i32" else ctype
    cast = "(uint32_t)" if type == "i32" else ""
    count = str(size * size)
    fill = "bits" if type == "i32" else "real"
    exact = "modulo 2^32 (wrapping)" if type == "i32" else ("with the products added in increasing k, starting "
                                                           "from 0, each operation rounded (no FMA): bit-exact")
    return Kernel(
        family="matmul",
        params={"type": type, "size": size, "align": align},
        symbol=f"matmul_{type}_{size}",
        returns="void",
        args=(Array("c", ctype, count, "out"), Array("a", ctype, count, "in", fill),
              Array("b", ctype, count, "in", fill)),  # fmt: skip
        reference_c=(f"    for (size_t i = 0; i < {size}; i++)\n        for (size_t j = 0; j < {size}; j++) {{\n"
                     f"            {acc} s = 0;\n            for (size_t k = 0; k < {size}; k++) "
                     f"s += {cast}a[i * {size} + k] * {cast}b[k * {size} + j];\n"
                     f"            c[i * {size} + j] = ({ctype})s;\n        }}"),
        semantics=f"c = a * b for {size}x{size} row-major matrices of {ctype}: c[i][j] = sum over k of "
        f"a[i][k] * b[k][j], {exact}. c does not overlap a or b.",
        golden=function(f"matmul_{type}_{size}", body),
        align=align_bytes(align, es),
        isa="SSE4.1 (pmulld)" if type == "i32" else "SSE2",
        sizes="n = 0;",
        bench_sizes="n = 0;",
        notes=(f"The reference solution keeps the {blocks} vector(s) of an output row in registers and "
               "accumulates broadcast(a[i][k]) * b[k][...] over k.",),  # fmt: skip
    )


_STAGES = {2: ("wd", "dq", "qdq"), 4: ("dq", "qdq"), 8: ("qdq",)}


def _transpose_block(lanes: int, es: int) -> tuple[Lines, list[str]]:
    """Transpose the `lanes` rows in xmm0.. in registers: (instructions, register of each result row)."""
    regs = [xmm(r) for r in range(lanes)]
    free = [xmm(r) for r in range(lanes, 16)]
    lines: Lines = []
    for stage, kind in enumerate(_STAGES[es]):
        stride, out = 1 << stage, []
        pairs = [(g + i, g + i + stride) for g in range(0, lanes, 2 * stride) for i in range(stride)]
        for x, y in pairs:
            lo = free.pop(0)
            lines += [f"movdqa {regs[x]}, {lo}", f"punpckl{kind} {regs[y]}, {lo}",
                      f"punpckh{kind} {regs[y]}, {regs[x]}"]
            out += [lo, regs[x]]
            free.append(regs[y])
        regs = out
    return lines, regs


def build_transpose(type: str, size: int, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    lanes, row = 16 // es, size * es
    ld, st = load(align), store(align)
    shuffle, order = _transpose_block(lanes, es)
    body = ["xorl %r8d, %r8d  # first row of the block", ".Lbi:", "xorl %r9d, %r9d  # first column of the block",
            ".Lbj:", "movq %r8, %r10", f"imulq ${row}, %r10", f"leaq (%r10,%r9,{es}), %r10", "addq %rsi, %r10",
            "movq %r9, %r11", f"imulq ${row}, %r11", f"leaq (%r11,%r8,{es}), %r11", "addq %rdi, %r11",
            *(f"{ld} {r * row if r else ''}(%r10), {xmm(r)}" for r in range(lanes)), *shuffle,
            *(f"{st} {order[r]}, {r * row if r else ''}(%r11)" for r in range(lanes)),
            f"addq ${lanes}, %r9", f"cmpq ${size}, %r9", "jb .Lbj", f"addq ${lanes}, %r8", f"cmpq ${size}, %r8",
            "jb .Lbi", "ret"]  # fmt: skip
    count = str(size * size)
    return Kernel(
        family="transpose",
        params={"type": type, "size": size, "align": align},
        symbol=f"transpose_{type}_{size}",
        returns="void",
        args=(Array("dst", ctype, count, "out"), Array("src", ctype, count, "in")),
        reference_c=(f"    for (size_t i = 0; i < {size}; i++)\n        for (size_t j = 0; j < {size}; j++)\n"
                     f"            dst[j * {size} + i] = src[i * {size} + j];"),
        semantics=f"dst = transpose(src) for {size}x{size} row-major matrices of {ctype}: dst[j][i] = src[i][j]. "
        "dst does not overlap src.",
        golden=function(f"transpose_{type}_{size}", body),
        align=align_bytes(align, es),
        isa="SSE2",
        sizes="n = 0;",
        bench_sizes="n = 0;",
        notes=(f"The reference solution transposes {lanes}x{lanes} blocks in registers with "
               f"{len(_STAGES[es])} punpck stage(s).",),  # fmt: skip
    )


MATMUL = Family("matmul", grid(type=("f32", "f64", "i32"), size=(4, 8, 16), align=ALIGNS), build_matmul)
TRANSPOSE = Family("transpose", grid(type=("u16", "u32", "u64"), size=(8, 16), align=ALIGNS), build_transpose)
