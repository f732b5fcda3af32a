"""Memory kernels: copy (memcpy variants), fill (memset variants), in-place byte swap."""

from __future__ import annotations

from backends.asm.families._stream import (
    ALIGNS,
    SIZES,
    TYPES,
    Lines,
    align_bytes,
    blocked_loop,
    broadcast,
    function,
    grid,
    load,
    mem,
    store,
    xmm,
)
from backends.asm.kernel import Array, Family, Kernel, Scalar, Size


def _copy_blocks(unroll: int, align: str) -> Lines:
    ld, st = load(align), store(align)
    loads = [f"{ld} {mem('%rsi', 16 * j)}, {xmm(j)}" for j in range(unroll)]
    return loads + [f"{st} {xmm(j)}, {mem('%rdi', 16 * j)}" for j in range(unroll)]


def build_copy(unroll: int, align: str, tail: str) -> Kernel:
    byte_step = ["movzbl (%rsi,%rcx,1), %r9d", "movb %r9b, (%rdi,%rcx,1)"]
    if tail == "bytes":
        body = [*blocked_loop("%rdx", 16 * unroll, _copy_blocks(unroll, align), byte_step), "ret"]
    else:
        body = ["cmpq $16, %rdx", "jb .Lsmall  # fewer than 16 bytes: one at a time", "xorl %ecx, %ecx",
                "movq %rdx, %r8", f"andq ${-16 * unroll}, %r8", "je .Lsingles", ".Lvector:",
                *_copy_blocks(unroll, align), f"addq ${16 * unroll}, %rcx", "cmpq %r8, %rcx", "jb .Lvector",
                ".Lsingles:", "leaq 16(%rcx), %r9", "cmpq %rdx, %r9", "ja .Llast", "movdqu (%rsi,%rcx,1), %xmm0",
                "movdqu %xmm0, (%rdi,%rcx,1)", "movq %r9, %rcx", "jmp .Lsingles", ".Llast:",
                "movdqu -16(%rsi,%rdx,1), %xmm0  # the last 16 bytes, overlapping what is done",
                "movdqu %xmm0, -16(%rdi,%rdx,1)", "ret", ".Lsmall:", "xorl %ecx, %ecx", "testq %rdx, %rdx",
                "je .Ldone", ".Lbyte:", *byte_step, "addq $1, %rcx", "cmpq %rdx, %rcx", "jb .Lbyte", ".Ldone:", "ret"]
    how = ("byte by byte after the last whole block" if tail == "bytes"
           else "with one overlapping 16-byte copy of the last 16 bytes (n >= 16)")  # fmt: skip
    return Kernel(
        family="copy_bytes",
        params={"unroll": unroll, "align": align, "tail": tail},
        symbol="copy_bytes",
        returns="void",
        args=(Array("dst", "uint8_t", "n", "out"), Array("src", "uint8_t", "n", "in"), Size("n")),
        reference_c="    for (size_t i = 0; i < n; i++) dst[i] = src[i];",
        semantics="Copy the n bytes src[0..n-1] to dst[0..n-1]; the two ranges do not overlap.",
        golden=function("copy_bytes", body),
        align=align_bytes(align, 1),
        isa="SSE2",
        notes=(f"The reference solution moves {16 * unroll} bytes per iteration and finishes {how}.",),
    )


def _broadcast_gpr(es: int) -> Lines:
    """v (in rsi, upper bits unspecified) into every lane of xmm0."""
    if es == 8:
        return ["movq %rsi, %xmm0", "punpcklqdq %xmm0, %xmm0"]
    return ["movd %esi, %xmm0", *broadcast(es, "%xmm0", zero="%xmm1")]


def build_fill(type: str, unroll: int, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    st = store(align)
    vec = [f"{st} %xmm0, {mem('%rdi', 16 * j, es)}" for j in range(unroll)]
    reg, move = {1: ("%sil", "movb"), 2: ("%si", "movw"), 4: ("%esi", "movl"), 8: ("%rsi", "movq")}[es]
    scalar = [f"{move} {reg}, (%rdi,%rcx,{es})"]
    body = [*_broadcast_gpr(es), *blocked_loop("%rdx", (16 // es) * unroll, vec, scalar), "ret"]
    return Kernel(
        family="fill",
        params={"type": type, "unroll": unroll, "align": align},
        symbol=f"fill_{type}",
        returns="void",
        args=(Array("dst", ctype, "n", "out"), Scalar("v", ctype, "rnd()"), Size("n")),
        reference_c="    for (size_t i = 0; i < n; i++) dst[i] = v;",
        semantics=f"Set each of the n elements dst[0..n-1] ({ctype}) to v.",
        golden=function(f"fill_{type}", body),
        align=align_bytes(align, es),
        isa="SSSE3" if es == 1 else "SSE2",
        notes=(f"The reference solution broadcasts v once and stores {unroll} vector(s) per iteration.",),
    )


_SWAP_MASKS = {
    2: "1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14",
    4: "3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12",
    8: "7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8",
}


def build_bswap(type: str, unroll: int, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    ld, st = load(align), store(align)
    vec = [f"{ld} {mem('%rdi', 16 * j, es)}, {xmm(j + 1)}" for j in range(unroll)]
    vec += [f"pshufb %xmm0, {xmm(j + 1)}" for j in range(unroll)]
    vec += [f"{st} {xmm(j + 1)}, {mem('%rdi', 16 * j, es)}" for j in range(unroll)]
    scalar = {
        2: ["movzwl (%rdi,%rcx,2), %edx", "rolw $8, %dx", "movw %dx, (%rdi,%rcx,2)"],
        4: ["movl (%rdi,%rcx,4), %edx", "bswapl %edx", "movl %edx, (%rdi,%rcx,4)"],
        8: ["movq (%rdi,%rcx,8), %rdx", "bswapq %rdx", "movq %rdx, (%rdi,%rcx,8)"],
    }[es]
    body = ["movdqa .LCswap(%rip), %xmm0  # pshufb control: reverse each element's bytes",
            *blocked_loop("%rsi", (16 // es) * unroll, vec, scalar), "ret"]  # fmt: skip
    shifts = {2: "(uint16_t)(x << 8 | x >> 8)", 4: "__builtin_bswap32(x)", 8: "__builtin_bswap64(x)"}[es]
    return Kernel(
        family="byte_swap",
        params={"type": type, "unroll": unroll, "align": align},
        symbol=f"bswap_{type}",
        returns="void",
        args=(Array("a", ctype, "n", "inout"), Size("n")),
        reference_c=f"    for (size_t i = 0; i < n; i++) {{ {ctype} x = a[i]; a[i] = {shifts}; }}",
        semantics=f"Reverse the byte order of each of the n elements a[0..n-1] ({ctype}) in place.",
        golden=function(f"bswap_{type}", body, [".LCswap:", f"    .byte {_SWAP_MASKS[es]}"]),
        align=align_bytes(align, es),
        isa="SSSE3",
        notes=(f"The reference solution uses pshufb on {unroll} vector(s) per iteration.",),
    )


COPY = Family("copy_bytes", grid(unroll=(1, 2, 4), align=ALIGNS, tail=("bytes", "overlap")), build_copy)
FILL = Family("fill", grid(type=("u8", "u16", "u32", "u64"), unroll=(1, 4), align=ALIGNS), build_fill)
BSWAP = Family("byte_swap", grid(type=("u16", "u32", "u64"), unroll=(1, 2), align=ALIGNS), build_bswap)
