"""Counting and selecting reductions: population count, minimum/maximum, count of equal elements."""

from __future__ import annotations

from backends.asm.families._stream import (
    ALIGNS,
    SIZES,
    SUFFIX,
    TYPES,
    Lines,
    align_bytes,
    blocked_loop,
    broadcast,
    combine,
    function,
    hsum_epi32,
    hsum_epi64,
    load,
    mem,
    xmm,
)
from backends.asm.kernel import Array, Family, Kernel, Scalar, Size

_POPCOUNT_LUT = [".LCnibble_counts:", "    .byte 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4",
                 ".LClow_nibbles:", "    .byte " + ", ".join(["0x0f"] * 16)]  # fmt: skip
# popcnt accumulators and temporaries per unroll: beyond four scratch registers the loop saves rbx, r12, r13.
_POP_ACCS = ("%rax", "%r9", "%r10", "%r11")
_POP_TEMPS = ("%rdx", "%rbx", "%r12", "%r13")


def _popcount_bytes(unroll: int, align: str) -> tuple[Lines, Lines, Lines, Lines, Lines]:
    """SSSE3 nibble lookup (pshufb), byte counts summed with psadbw."""
    ld, accs = load(align), [xmm(j) for j in range(unroll)]
    setup = ["xorl %eax, %eax", "movdqa .LCnibble_counts(%rip), %xmm14", "movdqa .LClow_nibbles(%rip), %xmm13",
             "pxor %xmm15, %xmm15", *(f"pxor {a}, {a}" for a in accs)]  # fmt: skip
    vec: Lines = []
    for j in range(unroll):
        vec += [f"{ld} {mem('%rdi', 16 * j)}, %xmm8", "movdqa %xmm8, %xmm9", "psrlw $4, %xmm9", "pand %xmm13, %xmm8",
                "pand %xmm13, %xmm9  # high nibbles", "movdqa %xmm14, %xmm10", "movdqa %xmm14, %xmm11",
                "pshufb %xmm8, %xmm10  # bits per low nibble", "pshufb %xmm9, %xmm11", "paddb %xmm11, %xmm10",
                "psadbw %xmm15, %xmm10", f"paddq %xmm10, {accs[j]}"]  # fmt: skip
    after = [*combine("paddq", accs), *hsum_epi64("%xmm0", "%xmm8", "%rax")]
    scalar = ["movzbl (%rdi,%rcx,1), %edx", "popcntl %edx, %edx", "addq %rdx, %rax"]
    return setup, vec, after, scalar, []


def _low32(reg: str) -> str:
    """%rax -> %eax, %r9 -> %r9d."""
    return reg.replace("%r", "%e") if reg[2].isalpha() else f"{reg}d"


def _popcount_words(es: int, unroll: int) -> tuple[Lines, Lines, Lines, Lines, Lines]:
    """POPCNT on 64-bit words (two u32 elements per word), one accumulator per unrolled word."""
    accs, temps = _POP_ACCS[:unroll], _POP_TEMPS[:unroll]
    saved = [t for t in temps if t in ("%rbx", "%r12", "%r13")]
    setup = [*(f"pushq {r}  # callee-saved, used as a temporary" for r in saved)]
    setup += [f"xorl {_low32(a)}, {_low32(a)}" for a in accs]
    vec = [line for j in range(unroll) for line in
           (f"popcntq {mem('%rdi', 8 * j, es)}, {temps[j]}", f"addq {temps[j]}, {accs[j]}")]  # fmt: skip
    after = [f"addq {a}, %rax" for a in accs[1:]]
    if es == 8:
        scalar = ["popcntq (%rdi,%rcx,8), %rdx", "addq %rdx, %rax"]
    else:
        scalar = ["popcntl (%rdi,%rcx,4), %edx", "addq %rdx, %rax"]
    return setup, vec, after, scalar, [f"popq {r}" for r in reversed(saved)]


def build_popcount(type: str, unroll: int, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    if type == "u8":
        setup, vec, after, scalar, restore = _popcount_bytes(unroll, align)
        block, isa = 16 * unroll, "SSSE3 (pshufb), POPCNT"
    else:
        setup, vec, after, scalar, restore = _popcount_words(es, unroll)
        block, isa = (8 // es) * unroll, "POPCNT"
    body = [*setup, *blocked_loop("%rsi", block, vec, scalar, after), *restore, "ret"]
    how = ("a pshufb nibble table and psadbw" if type == "u8"
           else f"popcnt on 64-bit words with {unroll} independent accumulator(s)")  # fmt: skip
    return Kernel(
        family="popcount",
        params={"type": type, "unroll": unroll, "align": align},
        symbol=f"popcount_{type}",
        returns="uint64_t",
        args=(Array("a", ctype, "n", "in"), Size("n")),
        reference_c=("    uint64_t s = 0;\n    for (size_t i = 0; i < n; i++) {\n"
                     f"        {ctype} v = a[i];\n        while (v) {{ v &= v - 1; s++; }}\n    }}\n    return s;"),
        semantics=f"Return the total number of set bits in the n elements a[0..n-1] ({ctype}).",
        golden=function(f"popcount_{type}", body, _POPCOUNT_LUT if type == "u8" else []),
        align=align_bytes(align, es),
        isa=isa,
        notes=(f"The reference solution uses {how}, {unroll} step(s) per iteration.",),
    )


_MINMAX_OP = {("u8", 1): "ub", ("i8", 1): "sb", ("u16", 2): "uw", ("i16", 2): "sw", ("u32", 4): "ud", ("i32", 4): "sd"}
_EXTEND = {"u8": "movzbl", "i8": "movsbl", "u16": "movzwl", "i16": "movswl", "u32": "movl", "i32": "movl"}


def build_minmax(type: str, op: str, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    inst = f"p{op}{_MINMAX_OP[(type, es)]}"
    signed = type.startswith("i")
    cmov = {("max", True): "cmovl", ("max", False): "cmovb", ("min", True): "cmovg", ("min", False): "cmova"}[
        (op, signed)]
    ext, ld, scale = _EXTEND[type], load(align), es
    setup = [f"{ext} (%rdi), %eax  # start from a[0] (n >= 1)", "movd %eax, %xmm0", *broadcast(es, "%xmm0"),
             "movdqa %xmm0, %xmm1"]  # fmt: skip
    vec = []
    for j in range(2):
        if align == "aligned16":
            vec.append(f"{inst} {mem('%rdi', 16 * j, scale)}, {xmm(j)}")
        else:
            vec += [f"{ld} {mem('%rdi', 16 * j, scale)}, %xmm8", f"{inst} %xmm8, {xmm(j)}"]
    after = [f"{inst} %xmm1, %xmm0", "pshufd $0x4e, %xmm0, %xmm8", f"{inst} %xmm8, %xmm0",
             "pshufd $0xb1, %xmm0, %xmm8", f"{inst} %xmm8, %xmm0"]  # fmt: skip
    if es <= 2:
        after += ["movdqa %xmm0, %xmm8", "psrld $16, %xmm8", f"{inst} %xmm8, %xmm0"]
    if es == 1:
        after += ["movdqa %xmm0, %xmm8", "psrlw $8, %xmm8", f"{inst} %xmm8, %xmm0"]
    after += ["movd %xmm0, %eax", *([f"{ext} %{'al' if es == 1 else 'ax'}, %eax"] if es < 4 else [])]
    scalar = [f"{ext} (%rdi,%rcx,{scale}), %edx", "cmpl %edx, %eax", f"{cmov} %edx, %eax"]
    body = [*setup, *blocked_loop("%rsi", 2 * (16 // es), vec, scalar, after), "ret"]
    better = ">" if op == "max" else "<"
    return Kernel(
        family="min_max",
        params={"type": type, "op": op, "align": align},
        symbol=f"{op}_{type}",
        returns=ctype,
        args=(Array("a", ctype, "n", "in"), Size("n")),
        reference_c=(f"    {ctype} best = a[0];\n    for (size_t i = 1; i < n; i++)\n"
                     f"        if (a[i] {better} best) best = a[i];\n    return best;"),
        semantics=f"Return the {'largest' if op == 'max' else 'smallest'} of the n elements a[0..n-1] "
        f"({'signed' if signed else 'unsigned'} {8 * es}-bit). n >= 1.",
        golden=function(f"{op}_{type}", body),
        align=align_bytes(align, es),
        isa="SSE2" if inst in ("pmaxub", "pminub", "pmaxsw", "pminsw") else "SSE4.1 (SSSE3 pshufb for bytes)",
        sizes="n = pick_length(t, 1, 1500);",
        notes=(f"The reference solution keeps two {inst} accumulators (32 bytes per iteration).",),
    )


def build_count_equal(type: str, unroll: int, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    ld, accs, w = load(align), [xmm(j) for j in range(unroll)], SUFFIX[es]
    setup = ["xorl %eax, %eax", "movd %edx, %xmm15  # v", *broadcast(es, "%xmm15", zero="%xmm14")]
    if es == 2:
        setup += ["pcmpeqw %xmm14, %xmm14", "psrlw $15, %xmm14  # 16-bit ones"]
    setup += [f"pxor {a}, {a}" for a in accs]
    vec: Lines = []
    for j in range(unroll):
        vec += [f"{ld} {mem('%rdi', 16 * j, es)}, %xmm8", f"pcmpeq{w} %xmm15, %xmm8  # all ones where equal"]
        if es == 1:
            vec += ["pabsb %xmm8, %xmm8  # 1 per match", "psadbw %xmm14, %xmm8", f"paddq %xmm8, {accs[j]}"]
        elif es == 2:
            vec += ["psrlw $15, %xmm8", "pmaddwd %xmm14, %xmm8  # pairs of matches into 32 bits",
                    f"paddd %xmm8, {accs[j]}"]  # fmt: skip
        else:
            vec += [f"psubd %xmm8, {accs[j]}  # minus -1 per match"]
    if es == 1:
        after = [*combine("paddq", accs), *hsum_epi64("%xmm0", "%xmm8", "%rax")]
    else:
        after = [*combine("paddd", accs), *hsum_epi32("%xmm0", "%xmm8", "%eax")]
    reg = {1: "%dl", 2: "%dx", 4: "%edx"}[es]
    cmp = {1: "cmpb", 2: "cmpw", 4: "cmpl"}[es]
    scalar = ["xorl %r9d, %r9d", f"{cmp} {reg}, (%rdi,%rcx,{es})", "sete %r9b", "addq %r9, %rax"]
    body = [*setup, *blocked_loop("%rsi", (16 // es) * unroll, vec, scalar, after), "ret"]
    return Kernel(
        family="count_equal",
        params={"type": type, "unroll": unroll, "align": align},
        symbol=f"count_eq_{type}",
        returns="size_t",
        args=(Array("a", ctype, "n", "in", "small"), Size("n"), Scalar("v", ctype, "rnd() % 5")),
        reference_c="    size_t c = 0;\n    for (size_t i = 0; i < n; i++) c += a[i] == v;\n    return c;",
        semantics=f"Return how many of the n elements a[0..n-1] ({ctype}) equal v. n < 2^32.",
        golden=function(f"count_eq_{type}", body),
        align=align_bytes(align, es),
        isa="SSSE3" if es == 1 else "SSE2",
        notes=(f"The reference solution compares {unroll} vector(s) per iteration and keeps per-lane counters.",),
    )


def _popcount_grid() -> tuple[dict[str, int | str], ...]:
    """Bytes go through SIMD loads (alignment matters); words through popcnt (it does not)."""
    rows: list[dict[str, int | str]] = []
    for type in ("u8", "u32", "u64"):
        for unroll in (1, 2, 4):
            for align in ALIGNS if type == "u8" else ("unaligned",):
                rows.append({"type": type, "unroll": unroll, "align": align})
    return tuple(rows)


POPCOUNT = Family("popcount", _popcount_grid(), build_popcount)
MINMAX = Family(
    "min_max",
    tuple({"type": t, "op": o, "align": a} for t in ("u8", "i8", "u16", "i16", "u32", "i32") for o in ("min", "max")
          for a in ALIGNS),  # fmt: skip
    build_minmax,
)
COUNT_EQUAL = Family(
    "count_equal",
    tuple({"type": t, "unroll": u, "align": a} for t in ("u8", "u16", "u32") for u in (1, 2) for a in ALIGNS),
    build_count_equal,
)


def _table(t: int, tables: int, reg: str) -> str:
    """Counter `reg` of sub-histogram t: table 0 is `counts` itself, the others live on the stack."""
    t %= tables
    return f"(%rdi,{reg},4)" if t == 0 else f"{1024 * (t - 1)}(%rsp,{reg},4)"


def build_histogram(tables: int, load: int) -> Kernel:
    load_bytes = load
    frame = 1024 * (tables - 1) + 8 if tables > 1 else 0  # + 8: two pushes leave rsp 8 off 16-byte alignment
    body = ["pushq %rbx", "pushq %rbp  # %ah pairs only with legacy registers: rbx and rbp hold byte values"]
    if frame:
        body += [f"subq ${frame}, %rsp  # {tables - 1} more sub-histogram(s) of 256 counters",
                 "pxor %xmm0, %xmm0", "xorl %ecx, %ecx", ".Lzero:", "movdqa %xmm0, (%rsp,%rcx,1)", "addq $16, %rcx",
                 f"cmpq ${frame - 8}, %rcx", "jb .Lzero"]  # fmt: skip
    vec = [f"mov{'l' if load_bytes == 4 else 'q'} (%rsi,%rcx,1), {'%eax' if load_bytes == 4 else '%rax'}"]
    for pair in range(load_bytes // 2):
        vec += ["movzbl %al, %ebx", "movzbl %ah, %ebp", f"addl $1, {_table(2 * pair, tables, '%rbx')}",
                f"addl $1, {_table(2 * pair + 1, tables, '%rbp')}"]  # fmt: skip
        if pair < load_bytes // 2 - 1:
            vec.append("shrq $16, %rax")
    scalar = ["movzbl (%rsi,%rcx,1), %ebx", "addl $1, (%rdi,%rbx,4)"]
    body += blocked_loop("%rdx", load_bytes, vec, scalar)
    if frame:
        merge = [f"paddd {1024 * t if t else ''}(%rsp,%rcx,1), %xmm0" for t in range(tables - 1)]
        body += ["xorl %ecx, %ecx", ".Lmerge:", "movdqu (%rdi,%rcx,1), %xmm0", *merge, "movdqu %xmm0, (%rdi,%rcx,1)",
                 "addq $16, %rcx", "cmpq $1024, %rcx", "jb .Lmerge", f"addq ${frame}, %rsp"]  # fmt: skip
    body += ["popq %rbp", "popq %rbx", "ret"]
    return Kernel(
        family="histogram",
        params={"tables": tables, "load": load_bytes},
        symbol="histogram_u8",
        returns="void",
        args=(Array("counts", "uint32_t", "256", "inout"), Array("p", "uint8_t", "n", "in"), Size("n")),
        reference_c="    for (size_t i = 0; i < n; i++) counts[p[i]]++;",
        semantics="For each of the n bytes p[i], increment counts[p[i]] (256 uint32_t counters, wrapping); counts "
        "starts with arbitrary values. counts is 4-byte aligned, p has any alignment.",
        golden=function("histogram_u8", body),
        align=1,
        isa="SSE2",
        bench_prepare="for (size_t i = 0; i < bench_n; i++) p[i] &= 7;  /* few distinct values: counter conflicts */",
        notes=(f"The reference solution reads {load_bytes} bytes per load, splits them with al/ah, and spreads "
               f"increments over {tables} sub-histogram(s) ({'on a stack frame, ' if tables > 1 else ''}"
               "merged with paddd).",),  # fmt: skip
    )


HISTOGRAM = Family("histogram", tuple({"tables": t, "load": b} for t in (1, 2, 4) for b in (4, 8)), build_histogram)
