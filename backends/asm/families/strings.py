"""String kernels: terminated-string length, bounded first-match search, substring search.

`strlen` reads whole aligned 16-byte blocks (an aligned block never crosses a page, so reading past
the terminator inside it is safe) and, when unrolled, aligns to the unrolled group first so a group
never crosses a page either. The bounded searches never read outside their arrays.
"""

from __future__ import annotations

from backends.asm.families._stream import (
    ALIGNS,
    SIZES,
    SUFFIX,
    TYPES,
    Lines,
    align_bytes,
    broadcast,
    function,
    load,
    xmm,
)
from backends.asm.kernel import Array, Family, Kernel, Scalar, Size

_LOG2 = {1: 0, 2: 1, 4: 2, 8: 3}


def _stop_mask(x: str, es: int, line: bool) -> Lines:
    """Turn the loaded block `x` into a mask of terminators (xmm0 zero, xmm15 newlines)."""
    eq = f"pcmpeq{SUFFIX[es]}"
    if not line:
        return [f"{eq} %xmm0, {x}"]
    return [f"movdqa {x}, %xmm9", f"{eq} %xmm0, {x}", "pcmpeqb %xmm15, %xmm9  # newlines", f"por %xmm9, {x}"]


def _to_elements(reg: str, es: int) -> Lines:
    suffix = "l" if reg.startswith("%e") or reg.endswith("d") else "q"
    return [f"shr{suffix} ${_LOG2[es]}, {reg}  # bytes to elements"] if es > 1 else []


def build_strlen(type: str, unroll: int, stop: str) -> Kernel:
    ctype, es, line = TYPES[type], SIZES[type], stop == "line"
    body = ["pxor %xmm0, %xmm0"]
    if line:
        body += ["movl $0x0a0a0a0a, %eax", "movd %eax, %xmm15", "pshufd $0, %xmm15, %xmm15"]
    body += ["movq %rdi, %rax", "andq $-16, %rax  # the aligned block holding s[0]", "movdqa (%rax), %xmm1",
             *_stop_mask("%xmm1", es, line), "pmovmskb %xmm1, %edx", "movl %edi, %ecx", "andl $15, %ecx",
             "shrl %cl, %edx  # drop matches before s", "testl %edx, %edx", "jne .Lfirst",
             "addq $16, %rax"]  # fmt: skip
    if unroll > 1:
        body += [".Lalign:", f"testq ${16 * unroll - 1}, %rax", "je .Lmain  # groups stay inside one page",
                 "movdqa (%rax), %xmm1", *_stop_mask("%xmm1", es, line), "pmovmskb %xmm1, %edx", "testl %edx, %edx",
                 "jne .Lfound", "addq $16, %rax", "jmp .Lalign"]  # fmt: skip
    body.append(".Lmain:")
    for j in range(unroll):
        body += [f"movdqa {16 * j if j else ''}(%rax), {xmm(1 + j)}", *_stop_mask(xmm(1 + j), es, line)]
    if unroll == 1:
        body += ["pmovmskb %xmm1, %edx", "testl %edx, %edx", "jne .Lfound"]
    else:
        body += ["movdqa %xmm1, %xmm8", *(f"por {xmm(1 + j)}, %xmm8" for j in range(1, unroll)),
                 "pmovmskb %xmm8, %edx", "testl %edx, %edx", "jne .Lsearch"]  # fmt: skip
    body += [f"addq ${16 * unroll}, %rax", "jmp .Lmain"]
    if unroll > 1:
        body.append(".Lsearch:")
        for j in range(unroll - 1):
            body += [f"pmovmskb {xmm(1 + j)}, %edx", "testl %edx, %edx", "jne .Lfound", "addq $16, %rax"]
        body += [f"pmovmskb {xmm(unroll)}, %edx"]
    body += [".Lfound:", "bsfl %edx, %edx", "subq %rdi, %rax", "addq %rdx, %rax", *_to_elements("%rax", es), "ret",
             ".Lfirst:", "bsfl %edx, %eax", *_to_elements("%eax", es), "ret"]  # fmt: skip
    symbol = "line_length" if line else f"strlen_{type}"
    until = "the first element equal to 0 or '\\n'" if line else "the terminating 0"
    condition = "s[i] && s[i] != '\\n'" if line else "s[i]"
    return Kernel(
        family="string_length",
        params={"type": type, "unroll": unroll, "stop": stop},
        symbol=symbol,
        returns="size_t",
        args=(Array("s", ctype, "n + 1", "in", "line" if line else "cstring"),),
        reference_c=f"    size_t i = 0;\n    while ({condition}) i++;\n    return i;",
        semantics=f"Return the number of {ctype} elements before {until}. s is aligned to its element size; "
        "the function may read whole aligned 64-byte blocks that contain an element of the string (such reads "
        "never cross a page) but nothing beyond them.",
        golden=function(symbol, body),
        align=es,
        isa="SSE2",
        notes=(f"The reference solution scans aligned 16-byte blocks, {unroll} per iteration once aligned to "
               f"{16 * unroll} bytes.",),  # fmt: skip
    )


def build_find(type: str, unroll: int, align: str) -> Kernel:
    ctype, es = TYPES[type], SIZES[type]
    ld, eq, block = load(align), f"pcmpeq{SUFFIX[es]}", (16 // es) * unroll
    body = ["movd %edx, %xmm0  # v", *broadcast(es, "%xmm0"), "xorl %ecx, %ecx", "movq %rsi, %r8",
            f"andq ${-block}, %r8", "je .Ltail", ".Lvector:"]  # fmt: skip
    for j in range(unroll):
        body += [f"{ld} {16 * j if j else ''}(%rdi,%rcx,{es}), {xmm(1 + j)}", f"{eq} %xmm0, {xmm(1 + j)}"]
    if unroll == 1:
        body += ["pmovmskb %xmm1, %r9d", "testl %r9d, %r9d", "jne .Lhit"]
    else:
        body += ["movdqa %xmm1, %xmm3", "por %xmm2, %xmm3", "pmovmskb %xmm3, %r9d", "testl %r9d, %r9d", "jne .Lhit2"]
    reg, cmp = {1: ("%dl", "cmpb"), 2: ("%dx", "cmpw"), 4: ("%edx", "cmpl")}[es]
    body += [f"addq ${block}, %rcx", "cmpq %r8, %rcx", "jb .Lvector", ".Ltail:", "cmpq %rsi, %rcx", "jae .Lnone",
             ".Lscalar:", f"{cmp} {reg}, (%rdi,%rcx,{es})", "je .Ldone", "addq $1, %rcx", "cmpq %rsi, %rcx",
             "jb .Lscalar", ".Lnone:", "movq %rsi, %rax  # not found: n", "ret"]  # fmt: skip
    if unroll > 1:
        body += [".Lhit2:", "pmovmskb %xmm1, %r9d", "testl %r9d, %r9d", "jne .Lhit", "pmovmskb %xmm2, %r9d",
                 f"addq ${16 // es}, %rcx"]  # fmt: skip
    body += [".Lhit:", "bsfl %r9d, %r9d", *_to_elements("%r9d", es), "addq %r9, %rcx", ".Ldone:", "movq %rcx, %rax",
             "ret"]  # fmt: skip
    near_end = f"n && rnd() % 4 ? a[n - 1 - rnd_below(n < 40 ? n : 40)] : ({ctype})rnd()"
    return Kernel(
        family="find_first",
        params={"type": type, "unroll": unroll, "align": align},
        symbol=f"find_{type}",
        returns="size_t",
        args=(Array("a", ctype, "n", "in"), Size("n"), Scalar("v", ctype, near_end)),
        reference_c="    for (size_t i = 0; i < n; i++)\n        if (a[i] == v) return i;\n    return n;",
        semantics=f"Return the index of the first element of a[0..n-1] ({ctype}) equal to v, or n if there is none.",
        golden=function(f"find_{type}", body),
        align=align_bytes(align, es),
        isa="SSSE3" if es == 1 else "SSE2",
        bench_prepare=f"bench_v = ({ctype})0; for (size_t i = 0; i < bench_n; i++) if (a[i] == bench_v) a[i] = 1;",
        notes=(f"The reference solution compares {unroll} vector(s) per iteration and reads nothing past a[n-1].",),
    )


def _verify(tag: str) -> Lines:
    """Compare needle[0..m) with the haystack at %rsi; on a match return its index."""
    return ["xorl %r8d, %r8d", f".Lcmp{tag}:", "movzbl (%rdx,%r8,1), %r9d", "cmpb %r9b, (%rsi,%r8,1)",
            f"jne .Lmiss{tag}", "addq $1, %r8", "cmpq %rcx, %r8", f"jb .Lcmp{tag}", "movq %rsi, %rax",
            "subq %rdi, %rax  # match at hay + rax", "jmp .Lreturn", f".Lmiss{tag}:"]  # fmt: skip


def build_substring(filter: str, unroll: int) -> Kernel:
    both, span = filter == "first_last", 16 * unroll
    body = ["pushq %rbx", "pushq %r12", "pushq %r13", "movq $-1, %rax", "cmpq %rsi, %rcx",
            "ja .Lreturn  # needle longer than the haystack", "movq %rsi, %r12", "subq %rcx, %r12  # last start",
            "movzbl (%rdx), %r8d", "movd %r8d, %xmm0", "pxor %xmm15, %xmm15", "pshufb %xmm15, %xmm0  # needle[0]"]
    if both:
        body += ["movzbl -1(%rdx,%rcx,1), %r8d", "movd %r8d, %xmm1", "pshufb %xmm15, %xmm1  # needle[m-1]",
                 "leaq -1(%rdi,%rcx,1), %r11  # hay + m - 1"]  # fmt: skip
    body += ["xorl %ebx, %ebx", ".Lblock:", f"leaq {span - 1}(%rbx), %r10", "cmpq %r12, %r10",
             f"ja .Ltail  # fewer than {span} starts left"]  # fmt: skip
    for j in range(unroll):
        off = f"{16 * j}" if j else ""
        body += [f"movdqu {off}(%rdi,%rbx,1), %xmm2", "pcmpeqb %xmm0, %xmm2"]
        if both:
            body += [f"movdqu {off}(%r11,%rbx,1), %xmm3", "pcmpeqb %xmm1, %xmm3", "pand %xmm3, %xmm2"]
        body += [f"pmovmskb %xmm2, {'%r13d' if j == 0 else '%r10d'}"]
        if j:
            body += ["shll $16, %r10d", "orl %r10d, %r13d"]
    body += ["testl %r13d, %r13d", "jne .Lcandidate", ".Lnext:", f"addq ${span}, %rbx", "jmp .Lblock",
             ".Lcandidate:", "bsfl %r13d, %r10d", "leaq (%rdi,%rbx,1), %rsi", "addq %r10, %rsi", *_verify("v"),
             "leal -1(%r13), %r10d", "andl %r10d, %r13d  # next candidate", "jne .Lcandidate", "jmp .Lnext",
             ".Ltail:", "cmpq %r12, %rbx", "ja .Lreturn", "leaq (%rdi,%rbx,1), %rsi", *_verify("t"),
             "addq $1, %rbx", "jmp .Ltail", ".Lreturn:", "popq %r13", "popq %r12", "popq %rbx", "ret"]  # fmt: skip
    what = "first and last needle bytes" if both else "the first needle byte"
    return Kernel(
        family="substring_search",
        params={"filter": filter, "unroll": unroll},
        symbol="find_substring",
        returns="ptrdiff_t",
        args=(Array("hay", "uint8_t", "n", "in", "text"), Size("n"), Array("needle", "uint8_t", "m", "in", "text"),
              Size("m")),  # fmt: skip
        reference_c=("    if (m > n) return -1;\n    for (size_t i = 0; i + m <= n; i++)\n"
                     "        if (memcmp(hay + i, needle, m) == 0) return (ptrdiff_t)i;\n    return -1;"),
        semantics="Return the smallest i with hay[i..i+m-1] equal to needle[0..m-1], or -1 if there is none "
        "(also when m > n). m >= 1. Neither array may be read outside its n (m) bytes.",
        golden=function("find_substring", body),
        align=1,
        isa="SSSE3",
        sizes="n = pick_length(t, 0, 600); m = 1 + rnd_below(n < 12 ? n + 2 : 12);",
        prepare="if (m <= n && rnd() % 2) memcpy(needle, hay + rnd_below(n - m + 1), m);",
        bench_sizes="n = 4096; m = 8;",
        bench_prepare="memset(needle, 'a', m); needle[m - 1] = 'c';  /* never matches: all of hay is scanned */",
        notes=(f"The reference solution filters {span} start positions per iteration on {what} with SSE2 "
               "compares and verifies candidates byte by byte (it saves rbx, r12, r13).",),  # fmt: skip
    )


STRLEN = Family(
    "string_length",
    tuple({"type": t, "unroll": u, "stop": "nul"} for t in ("u8", "u16", "u32") for u in (1, 2, 4))
    + tuple({"type": "u8", "unroll": u, "stop": "line"} for u in (1, 2, 4)),
    build_strlen,
)
FIND = Family(
    "find_first",
    tuple({"type": t, "unroll": u, "align": a} for t in ("u8", "u16", "u32") for u in (1, 2) for a in ALIGNS),
    build_find,
)
SUBSTRING = Family(
    "substring_search",
    tuple({"filter": f, "unroll": u} for f in ("first", "first_last") for u in (1, 2)),
    build_substring,
)
