"""Sequential-dependency kernels: prefix sums (in-register shift-and-add scan) and CRC32C (SSE4.2 crc32)."""

from __future__ import annotations

from backends.asm.families._stream import (
    ALIGNS,
    SIZES,
    SUFFIX,
    TYPES,
    Lines,
    align_bytes,
    blocked_loop,
    function,
    store,
)
from backends.asm.kernel import Array, Family, Kernel, Scalar, Size

_GPR = {2: ("%r9w", "movw", "addw"), 4: ("%r9d", "movl", "addl"), 8: ("%r9", "movq", "addq")}


def _carry(es: int, src: str) -> Lines:
    """Broadcast the last lane of `src` into xmm7 (the running total)."""
    if es == 2:
        return [f"pshufhw $0xff, {src}, %xmm7", "pshufd $0xff, %xmm7, %xmm7  # last word everywhere"]
    return [f"pshufd ${'0xff' if es == 4 else '0xee'}, {src}, %xmm7  # last lane everywhere"]


def build_prefix(type: str, kind: str, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    ld, st, add = ("movdqa" if align == "aligned16" else "movdqu"), store(align), f"padd{SUFFIX[es]}"
    scan = []  # local inclusive scan of xmm0 in log2(lanes) shift-and-add steps
    shift = es
    while shift < 16:
        scan += ["movdqa %xmm0, %xmm1", f"pslldq ${shift}, %xmm1", f"{add} %xmm1, %xmm0"]
        shift *= 2
    vec = [f"{ld} (%rsi,%rcx,{es}), %xmm0", *scan]
    if kind == "inclusive":
        vec += [f"{add} %xmm7, %xmm0  # plus everything before the block", f"{st} %xmm0, (%rdi,%rcx,{es})",
                *_carry(es, "%xmm0")]  # fmt: skip
    else:
        vec += ["movdqa %xmm0, %xmm1", f"pslldq ${es}, %xmm1  # exclusive: one lane later", f"{add} %xmm7, %xmm1",
                f"{st} %xmm1, (%rdi,%rcx,{es})", f"{add} %xmm7, %xmm0", *_carry(es, "%xmm0")]  # fmt: skip
    reg, move, gadd = _GPR[es]
    extract = "movq %xmm7, %r9" if es == 8 else "movd %xmm7, %r9d"
    element = f"(%rsi,%rcx,{es})"
    if kind == "inclusive":
        scalar = [f"{gadd} {element}, {reg}", f"{move} {reg}, (%rdi,%rcx,{es})"]
    else:
        scalar = [f"{move} {reg}, (%rdi,%rcx,{es})", f"{gadd} {element}, {reg}"]
    body = ["pxor %xmm7, %xmm7  # running total", "xorl %r9d, %r9d",
            *blocked_loop("%rdx", 16 // es, vec, scalar, [extract]), "ret"]  # fmt: skip
    wide = {2: "uint16_t", 4: "uint32_t", 8: "uint64_t"}[es]
    if kind == "inclusive":
        loop = f"s += ({wide})in[i]; out[i] = ({ctype})s;"
        semantics = f"out[i] = in[0] + ... + in[i] for i < n ({ctype}, wrapping)."
    else:
        loop = f"out[i] = ({ctype})s; s += ({wide})in[i];"
        semantics = f"out[i] = in[0] + ... + in[i-1] for i < n, out[0] = 0 ({ctype}, wrapping)."
    return Kernel(
        family="prefix_sum",
        params={"type": type, "kind": kind, "align": align},
        symbol=f"{kind[:4]}_scan_{type}",
        returns="void",
        args=(Array("out", ctype, "n", "out"), Array("in", ctype, "n", "in"), Size("n")),
        reference_c=f"    {wide} s = 0;\n    for (size_t i = 0; i < n; i++) {{ {loop} }}",
        semantics=f"{kind.capitalize()} prefix sum: {semantics} out does not overlap in.",
        golden=function(f"{kind[:4]}_scan_{type}", body),
        align=align_bytes(align, es),
        isa="SSE2",
        notes=("The reference solution scans each vector in registers with pslldq and adds the running total, "
               "broadcast from the previous vector's last lane.",),  # fmt: skip
    )


_CRC = {1: ("crc32b", "%eax"), 4: ("crc32l", "%eax"), 8: ("crc32q", "%rax")}


def build_crc32c(step: int, head: str, unroll: int) -> Kernel:
    inst, reg = _CRC[step]
    body = ["movl %edi, %eax  # crc (the upper half of rdi is unspecified)"]
    if head == "align8":
        body += [".Lhead:", "testq $7, %rsi", "je .Lbody", "testq %rdx, %rdx", "je .Lreturn",
                 "crc32b (%rsi), %eax  # bytes until p is 8-byte aligned", "addq $1, %rsi", "subq $1, %rdx",
                 "jmp .Lhead", ".Lbody:"]  # fmt: skip
    if step == 1:
        body += ["xorl %ecx, %ecx", "testq %rdx, %rdx", "je .Lreturn", ".Lbyte:", "crc32b (%rsi,%rcx,1), %eax",
                 "addq $1, %rcx", "cmpq %rdx, %rcx", "jb .Lbyte"]  # fmt: skip
    else:
        vec = [f"{inst} {step * j if j else ''}(%rsi,%rcx,1), {reg}" for j in range(unroll)]
        body += blocked_loop("%rdx", step * unroll, vec, ["crc32b (%rsi,%rcx,1), %eax"])
    body += [".Lreturn:", "ret"]
    how = "one byte at a time" if step == 1 else f"{step} bytes per crc32 instruction, {unroll} per iteration"
    if head == "align8":
        how += ", after single bytes up to an 8-byte-aligned address"
    return Kernel(
        family="crc32c",
        params={"step": step, "head": head, "unroll": unroll},
        symbol="crc32c_update",
        returns="uint32_t",
        args=(Scalar("crc", "uint32_t", "rnd()"), Array("p", "uint8_t", "n", "in"), Size("n")),
        reference_c=("    for (size_t i = 0; i < n; i++) {\n        crc ^= p[i];\n"
                     "        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));\n"
                     "    }\n    return crc;"),
        semantics="Update the CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) state crc with the n bytes "
        "p[0..n-1] and return it; no initial or final inversion (the SSE4.2 crc32 instruction's semantics).",
        golden=function("crc32c_update", body),
        align=1,
        isa="SSE4.2 (crc32)",
        notes=(f"The reference solution feeds {how}.",),
    )


PREFIX = Family(
    "prefix_sum",
    tuple({"type": t, "kind": k, "align": a} for t in ("i16", "i32", "i64") for k in ("inclusive", "exclusive")
          for a in ALIGNS),  # fmt: skip
    build_prefix,
)
CRC32C = Family(
    "crc32c",
    ({"step": 1, "head": "none", "unroll": 1},)
    + tuple({"step": s, "head": h, "unroll": u} for s in (4, 8) for h in ("none", "align8") for u in (1, 4)),
    build_crc32c,
)
