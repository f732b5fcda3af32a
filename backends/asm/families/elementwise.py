"""Element-wise kernels: y = alpha*x + y, saturating add/subtract, ASCII case conversion.

Results are exact: each output element has one rounding (or none), fixed by the semantics, so the
harness compares bit for bit.
"""

from __future__ import annotations

from backends.asm.families._stream import (
    ALIGNS,
    SIZES,
    TYPES,
    Lines,
    align_bytes,
    blocked_loop,
    function,
    grid,
    load,
    mem,
    store,
)
from backends.asm.kernel import Array, Family, Kernel, Scalar, Size


def build_axpy(type: str, unroll: int, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    p, s = ("ps", "ss") if es == 4 else ("pd", "sd")
    aligned = align == "aligned16"
    vec: Lines = []
    for j in range(unroll):
        t, u = f"%xmm{2 + 2 * j}", f"%xmm{3 + 2 * j}"
        x, y = mem("%rsi", 16 * j, es), mem("%rdi", 16 * j, es)
        if aligned:
            vec += [f"mova{p} {x}, {t}", f"mul{p} %xmm0, {t}", f"add{p} {y}, {t}", f"mova{p} {t}, {y}"]
        else:
            vec += [f"movu{p} {x}, {t}", f"mul{p} %xmm0, {t}", f"movu{p} {y}, {u}", f"add{p} {u}, {t}",
                    f"movu{p} {t}, {y}"]  # fmt: skip
    scalar = [f"mov{s} (%rsi,%rcx,{es}), %xmm1", f"mul{s} %xmm0, %xmm1", f"add{s} (%rdi,%rcx,{es}), %xmm1",
              f"mov{s} %xmm1, (%rdi,%rcx,{es})"]  # fmt: skip
    broadcast = "shufps $0, %xmm0, %xmm0  # alpha in every lane" if es == 4 else "movlhps %xmm0, %xmm0  # alpha twice"
    body = [broadcast, *blocked_loop("%rdx", (16 // es) * unroll, vec, scalar), "ret"]
    return Kernel(
        family="axpy",
        params={"type": type, "unroll": unroll, "align": align},
        symbol=f"axpy_{type}",
        returns="void",
        args=(Array("y", ctype, "n", "inout", "real"), Scalar("alpha", ctype, "(double)(rnd() % 2001) / 250.0 - 4.0"),
              Array("x", ctype, "n", "in", "real"), Size("n")),  # fmt: skip
        reference_c="    for (size_t i = 0; i < n; i++) y[i] = alpha * x[i] + y[i];",
        semantics=f"For i < n set y[i] = alpha * x[i] + y[i] ({ctype}): a multiply rounded, then an add rounded "
        "(no fused multiply-add); results must be bit-identical to that.",
        golden=function(f"axpy_{type}", body),
        align=align_bytes(align, es),
        isa="SSE2",
        notes=(f"The reference solution broadcasts alpha once and handles {unroll} vector(s) per iteration.",),
    )


_LIMITS = {"u8": (0, 255), "i8": (-128, 127), "u16": (0, 65535), "i16": (-32768, 32767)}
_INST = {"u8": "usb", "i8": "sb", "u16": "usw", "i16": "sw"}


def build_saturating(type: str, op: str, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    inst, ld, st = f"p{op}{_INST[type]}", load(align), store(align)
    lo, hi = _LIMITS[type]
    ext = ("movzbl" if es == 1 else "movzwl") if type.startswith("u") else ("movsbl" if es == 1 else "movswl")
    vec: Lines = []
    for j in range(2):
        a, b, d, t = mem("%rsi", 16 * j, es), mem("%rdx", 16 * j, es), mem("%rdi", 16 * j, es), f"%xmm{j}"
        if align == "aligned16":
            vec += [f"{ld} {a}, {t}", f"{inst} {b}, {t}", f"{st} {t}, {d}"]
        else:
            vec += [f"{ld} {a}, {t}", f"{ld} {b}, %xmm{j + 2}", f"{inst} %xmm{j + 2}, {t}", f"{st} {t}, {d}"]
    arith = "addl" if op == "add" else "subl"
    scalar = [f"{ext} (%rsi,%rcx,{es}), %eax", f"{ext} (%rdx,%rcx,{es}), %r9d", f"{arith} %r9d, %eax",
              f"movl ${hi}, %r9d", "cmpl %r9d, %eax", "cmovg %r9d, %eax  # clamp above",
              f"movl ${lo}, %r9d", "cmpl %r9d, %eax", "cmovl %r9d, %eax  # clamp below",
              f"{'movb %al' if es == 1 else 'movw %ax'}, (%rdi,%rcx,{es})"]  # fmt: skip
    body = ["movq %rcx, %r10  # n: %rcx is the index", *blocked_loop("%r10", 2 * (16 // es), vec, scalar), "ret"]
    sign = "+" if op == "add" else "-"
    return Kernel(
        family="saturating_arith",
        params={"type": type, "op": op, "align": align},
        symbol=f"{op}s_{type}",
        returns="void",
        args=(Array("dst", ctype, "n", "out"), Array("a", ctype, "n", "in"), Array("b", ctype, "n", "in"), Size("n")),
        reference_c=(f"    for (size_t i = 0; i < n; i++) {{\n        int r = (int)a[i] {sign} (int)b[i];\n"
                     f"        dst[i] = ({ctype})(r > {hi} ? {hi} : r < {lo} ? {lo} : r);\n    }}"),
        semantics=f"For i < n set dst[i] = a[i] {sign} b[i] saturated to the range of {ctype} [{lo}, {hi}]. "
        "dst does not overlap a or b.",
        golden=function(f"{op}s_{type}", body),
        align=align_bytes(align, es),
        isa="SSE2",
        notes=(f"The reference solution uses {inst} on two vectors per iteration.",),
    )


def build_ascii_case(to: str, unroll: int, align: str) -> Kernel:
    first = "a" if to == "upper" else "A"
    bias = 0x80 - ord(first)  # moves the 26 letters to the bottom of the signed byte range
    ld, st = load(align), store(align)
    vec: Lines = []
    for j in range(unroll):
        x, m = f"%xmm{2 * j}", f"%xmm{2 * j + 1}"
        vec += [f"{ld} {mem('%rsi', 16 * j)}, {x}", f"movdqa {x}, %xmm8",
                "paddb %xmm13, %xmm8  # letters -> -128..-103",
                f"movdqa %xmm14, {m}", f"pcmpgtb %xmm8, {m}  # -102 > x+bias: a letter", f"pand %xmm15, {m}",
                f"pxor {m}, {x}  # flip the case bit", f"{st} {x}, {mem('%rdi', 16 * j)}"]  # fmt: skip
    scalar = ["movzbl (%rsi,%rcx,1), %eax", "movl %eax, %r9d", "xorl $0x20, %r9d", f"leal -{ord(first)}(%rax), %r10d",
              "cmpl $26, %r10d", "cmovb %r9d, %eax", "movb %al, (%rdi,%rcx,1)"]  # fmt: skip
    setup = ["movdqa .LCbias(%rip), %xmm13", "movdqa .LClimit(%rip), %xmm14", "movdqa .LCcase_bit(%rip), %xmm15"]
    body = [*setup, *blocked_loop("%rdx", 16 * unroll, vec, scalar), "ret"]
    rodata = []
    for label, value in (("bias", f"{bias:#04x}"), ("limit", "0x9a"), ("case_bit", "0x20")):
        rodata += [f".LC{label}:", "    .byte " + ", ".join([value] * 16)]
    last = chr(ord(first) + 25)
    return Kernel(
        family="ascii_case",
        params={"to": to, "unroll": unroll, "align": align},
        symbol=f"ascii_{to}",
        returns="void",
        args=(Array("dst", "uint8_t", "n", "out"), Array("src", "uint8_t", "n", "in", "ascii"), Size("n")),
        reference_c=(f"    for (size_t i = 0; i < n; i++) {{\n        uint8_t c = src[i];\n"
                     f"        dst[i] = c >= '{first}' && c <= '{last}' ? c ^ 0x20 : c;\n    }}"),
        semantics=f"Copy n bytes from src to dst converting ASCII letters '{first}'..'{last}' to {to} case; every "
        "other byte (digits, punctuation, bytes >= 0x80) is copied unchanged. dst does not overlap src.",
        golden=function(f"ascii_{to}", body, rodata),
        align=align_bytes(align, 1),
        isa="SSE2",
        notes=(f"The reference solution classifies 16 bytes at once with one signed compare, {unroll} vector(s) "
               "per iteration.",),  # fmt: skip
    )


AXPY = Family("axpy", grid(type=("f32", "f64"), unroll=(1, 2, 4), align=ALIGNS), build_axpy)
SATURATING = Family("saturating_arith", grid(type=("u8", "i8", "u16", "i16"), op=("add", "sub"), align=ALIGNS),
                    build_saturating)  # fmt: skip
ASCII_CASE = Family("ascii_case", grid(to=("upper", "lower"), unroll=(1, 2), align=ALIGNS), build_ascii_case)
