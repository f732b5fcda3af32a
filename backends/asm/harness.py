"""Generate the C harness for one kernel: reference, ABI-checking trampoline, tests, timing.

The harness is one C file (the task's `harness`), linked with the candidate's object:
- `reference` is the kernel's C model, `noipa` so gcc -O2 neither inlines nor specialises it;
- `checked_call` (assembly, below) loads canaries into rbx, rbp, r12-r15, fills the unspecified
  upper bits of narrow integer arguments and the upper lanes of float arguments with garbage,
  calls the candidate, and flags any callee-saved register, stack pointer, direction flag or MXCSR
  control bits it did not restore (`ABI_VIOLATION`);
- every test places each array against a guard page (`runtime.py`), runs reference and candidate on
  identical inputs, and stops at the first mismatch with the input printed (`MISMATCH`);
- then both functions are timed at the kernel's bench size (`TIMING`), and `RESULT` closes the run.
Exit status: 0 pass, 1 mismatch, 2 ABI violation; a fault kills it. Whether the machine has the
ISA is the worker's to check before it runs anything (the candidate shares this process and its
exit status).
"""

from __future__ import annotations

from backends.asm.kernel import Array, Kernel, Scalar, c_size, is_float
from backends.asm.registers import CALLEE_SAVED, name_of
from backends.asm.runtime import RUNTIME_C

RESULT_PREFIX = "RESULT"
TIMING_PREFIX = "TIMING"
MISMATCH_PREFIX = "MISMATCH"
ABI_PREFIX = "ABI_VIOLATION"
FAULT_PREFIX = "FAULT"
EXIT_MISMATCH, EXIT_ABI = 1, 2

CANARIES = tuple(0x5A17C0DE00000000 | (0x1111 * (i + 1)) << 8 | i for i in range(len(CALLEE_SAVED)))
# abi_flags: bit i for CALLEE_SAVED[i], then these.
ABI_RSP, ABI_DF, ABI_MXCSR = 64, 128, 256
_ABI_BITS = {"stack pointer %rsp not restored": ABI_RSP, "direction flag left set": ABI_DF,
             "MXCSR control bits changed": ABI_MXCSR}  # fmt: skip


def _format(ctype: str) -> tuple[str, str]:
    """printf conversion and cast for one value of `ctype`."""
    if is_float(ctype):
        return ("%.9g", "(double)") if ctype == "float" else ("%.17g", "(double)")
    if ctype == "uint8_t":
        return "0x%02x", "(unsigned)"
    if ctype.startswith("u") or ctype == "size_t":
        return "%llu", "(unsigned long long)"
    return "%lld", "(long long)"


def _poison(kernel: Kernel) -> list[str]:
    """Trampoline lines filling what the ABI leaves unspecified in the argument registers."""
    lines = []
    for arg, reg in kernel.registers():
        if not isinstance(arg, Scalar):
            continue
        if reg.startswith("xmm"):
            move = "movss" if arg.ctype == "float" else "movsd"
            lines += ["movdqu lane_poison(%rip), %xmm15", f"{move} %{reg}, %xmm15", f"movdqa %xmm15, %{reg}"]
            continue
        width = c_size(arg.ctype)
        if width == 8:
            continue
        low, d = name_of(reg, width), name_of(reg, 4)
        extend = {4: f"movl %{d}, %{d}", 2: f"movzwl %{low}, %{d}", 1: f"movzbl %{low}, %{d}"}[width]
        garbage = 0xDEADBEEFCAFEBABE & ~((1 << (8 * width)) - 1)
        lines += [extend, f"movabsq ${garbage:#x}, %r11", f"orq %r11, %{reg}"]
    return lines


def trampoline(kernel: Kernel) -> str:
    """`checked_call`: same arguments and return registers as the candidate, with the ABI checked."""
    body = [f"push %{r}" for r in CALLEE_SAVED] + ["sub $8, %rsp", "stmxcsr mxcsr_before(%rip)"]
    body += [f"movabsq ${c:#x}, %{r}" for r, c in zip(CALLEE_SAVED, CANARIES, strict=True)]
    body += _poison(kernel)
    body += ["mov %rsp, saved_rsp(%rip)", "call *candidate_target(%rip)", "cmp saved_rsp(%rip), %rsp", "je 1f",
             f"orl ${ABI_RSP}, abi_flags(%rip)", "mov saved_rsp(%rip), %rsp", "1:"]  # fmt: skip
    for index, (reg, canary) in enumerate(zip(CALLEE_SAVED, CANARIES, strict=True)):
        body += [f"movabsq ${canary:#x}, %r11", f"cmp %r11, %{reg}", "je 1f", f"orl ${1 << index}, abi_flags(%rip)",
                 f"mov %{reg}, clobbered+{8 * index}(%rip)", "1:"]  # fmt: skip
    body += ["pushfq", "pop %r11", "test $0x400, %r11", "je 1f", f"orl ${ABI_DF}, abi_flags(%rip)", "cld", "1:",
             "stmxcsr mxcsr_after(%rip)", "mov mxcsr_after(%rip), %r11d", "xor mxcsr_before(%rip), %r11d",
             "and $0xffc0, %r11d", "je 1f", f"orl ${ABI_MXCSR}, abi_flags(%rip)", "1:",  # control bits, not flags
             "ldmxcsr mxcsr_before(%rip)", "add $8, %rsp"]  # fmt: skip
    body += [f"pop %{r}" for r in reversed(CALLEE_SAVED)] + ["ret"]
    text = "\n".join([".text", ".globl checked_call", ".type checked_call, @function", "checked_call:", *body,
                      ".size checked_call, .-checked_call"])  # fmt: skip
    c_lines = "\n".join(f'"{line}\\n"' for line in text.split("\n"))
    return (
        "void *candidate_target;\nuint64_t saved_rsp, clobbered[6];\nuint32_t abi_flags, mxcsr_before, mxcsr_after;\n"
        "const unsigned char lane_poison[16] __attribute__((aligned(16))) = "
        "{0xef,0xbe,0xad,0xde,0x0d,0xf0,0xad,0x7f,0xbe,0xba,0xfe,0xca,0xad,0x0b,0xed,0xfe};\n"
        f"__asm__(\n{c_lines}\n);\n"
    )


def _report_abi() -> str:
    lines = "".join(
        f'    if (abi_flags & {1 << i}) printf("  callee-saved register %%{r} not preserved: '
        f'expected {c:#x}, got 0x%016" PRIx64 " after the call\\n", clobbered[{i}]);\n'
        for i, (r, c) in enumerate(zip(CALLEE_SAVED, CANARIES, strict=True))
    )
    lines += "".join(f'    if (abi_flags & {bit}) printf("  {text}\\n");\n' for text, bit in _ABI_BITS.items())
    return f"static void report_abi(void) {{\n{lines}}}\n"


def _describe(kernel: Kernel) -> list[str]:
    """Statements writing the test's sizes and array placements into `current_case` (for FAULT lines too)."""
    sizes = ", m=%zu" if kernel.uses_m else ""
    lines = [f'snprintf(current_case, sizeof current_case, "test %zu of %zu: n=%zu{sizes}", t + 1, (size_t)TESTS, '
             f"n{', m' if kernel.uses_m else ''});"]  # fmt: skip
    lines += [f'describe_array("{a.name}", "{a.ctype}", {a.count}, &slot_c[{i}]);' for i, a in enumerate(kernel.arrays)]
    return lines


def _show_inputs(kernel: Kernel) -> list[str]:
    """Statements printing the test's input values (the reference side's copy) and scalars."""
    lines = []
    for a in kernel.arrays:
        count = f"({a.count})"
        if a.role == "out":
            continue
        if c_size(a.ctype) == 1 and a.fill in ("text", "cstring", "line", "ascii", "nonzero"):
            lines.append(f'show_text("{a.name}", (const unsigned char *)r_{a.name}, {count});')
            continue
        fmt, cast = _format(a.ctype)
        lines.append(f'printf("  {a.name}[0..] ="); for (size_t i = 0; i < {count} && i < 16; i++) '
                     f'printf(" {fmt}", {cast}r_{a.name}[i]); printf({count} > 16 ? " ...\\n" : "\\n");')  # fmt: skip
    for s in kernel.args:
        if isinstance(s, Scalar):
            fmt, cast = _format(s.ctype)
            lines.append(f'printf("  {s.name} = {fmt}\\n", {cast}{s.name});')
    return lines


def _compare(kernel: Kernel) -> list[str]:
    """Statements that write every difference between reference and candidate to `log` and set `bad`."""
    out = []
    if kernel.returns != "void":
        fmt, cast = _format(kernel.returns)
        if kernel.tolerance:
            differs = f"!(fabs((double)got - (double)want) <= ({kernel.tolerance}))"
            values = f' (tolerance %g)\\n", {cast}want, {cast}got, (double)({kernel.tolerance})'
        else:
            differs, values = "got != want", f'\\n", {cast}want, {cast}got'
        out.append(f'if ({differs}) {{ bad = 1; fprintf(log, "  return value: expected {fmt}, got {fmt}{values}); }}')
    for index, a in enumerate(kernel.arrays):
        count = f"({a.count})"
        fmt, cast = _format(a.ctype)
        if a.role != "in":
            out.append(
                f"{{ size_t first = 0, wrong = 0; for (size_t i = 0; i < {count}; i++) "
                f"if (memcmp(&r_{a.name}[i], &c_{a.name}[i], sizeof(*r_{a.name}))) {{ if (!wrong++) first = i; }} "
                f'if (wrong) {{ bad = 1; fprintf(log, "  {a.name}[%zu]: expected {fmt}, got {fmt} (%zu of %zu '
                f'elements wrong)\\n", first, {cast}r_{a.name}[first], {cast}c_{a.name}[first], wrong, '
                f"(size_t){count}); }} }}"
            )
        else:
            out.append(f"if (memcmp(r_{a.name}, c_{a.name}, {count} * sizeof(*r_{a.name}))) {{ bad = 1; "
                       f'fprintf(log, "  input {a.name} was modified by the candidate\\n"); }}')  # fmt: skip
        out.append(
            f"{{ long where = 0; unsigned was = 0; long byte = stray_write(&slot_c[{index}], &where, &was); "
            f'if (byte >= 0) {{ bad = 1; fprintf(log, "  wrote outside {a.name}: byte %+ld from its start (it is '
            f'%zu bytes long) is 0x%02lx, was 0x%02x\\n", where, (size_t){count} * sizeof(*c_{a.name}), byte, was); '
            "} }"
        )
    return out


def _args(kernel: Kernel, prefix: str) -> str:
    return ", ".join(f"{prefix}{a.name}" if isinstance(a, Array) else a.name for a in kernel.args)


def _place_arrays(kernel: Kernel) -> list[str]:
    """Both sides' arrays against guard pages; inputs filled once and copied, outputs pre-set differently."""
    lines = [f"placed_t slot_r[{len(kernel.arrays) or 1}], slot_c[{len(kernel.arrays) or 1}];"]
    for index, a in enumerate(kernel.arrays):
        bytes_ = f"({a.count}) * sizeof({a.ctype})"
        align = max(kernel.align, c_size(a.ctype))
        lines += [f"{a.ctype} *r_{a.name} = ({a.ctype} *)place(&slot_r[{index}], {bytes_}, {align}, flush);",
                  f"{a.ctype} *c_{a.name} = ({a.ctype} *)place(&slot_c[{index}], {bytes_}, {align}, flush);"]
        if a.role == "out":  # zero on one side, the poison pattern on the other: a skipped element shows
            lines += [f"memset(r_{a.name}, 0, {bytes_});"]
        else:
            lines += [f"fill_{a.fill}(r_{a.name}, {a.count}, sizeof({a.ctype}));"]
    if kernel.prepare:
        views = " ".join(f"{a.ctype} *{a.name} = r_{a.name}; (void){a.name};" for a in kernel.arrays)
        lines.append(f"{{ {views} {kernel.prepare} }}")
    lines += [f"memcpy(c_{a.name}, r_{a.name}, ({a.count}) * sizeof({a.ctype}));"
              for a in kernel.arrays if a.role != "out"]
    return lines


def _test_loop(kernel: Kernel) -> str:
    arrays = kernel.arrays
    views = " ".join(f"{a.ctype} *{a.name} = r_{a.name}; (void){a.name};" for a in arrays)
    lines = ["size_t n = 0, m = 0;", kernel.sizes, "int flush = (t & 1) == 0;", *_place_arrays(kernel)]
    for s in kernel.args:
        if isinstance(s, Scalar):
            lines.append(f"{s.ctype} {s.name}; {{ {views} {s.name} = ({s.ctype})({s.value}); }}")
    lines += _describe(kernel)
    call_r, call_c = f"reference({_args(kernel, 'r_')})", f"checked_call({_args(kernel, 'c_')})"
    if kernel.returns == "void":
        lines += [f"{call_r};", "abi_flags = 0;", f"{call_c};"]
    else:
        lines += [f"{kernel.returns} want = {call_r};", "abi_flags = 0;", f"{kernel.returns} got = {call_c};"]
    inputs = " ".join(_show_inputs(kernel))
    lines += [f'if (abi_flags) {{ printf("{ABI_PREFIX} in %s\\n", current_case); report_abi(); {inputs} '
              f"return {EXIT_ABI}; }}",
              "int bad = 0; char *diff = NULL; size_t diff_len = 0; FILE *log = open_memstream(&diff, &diff_len);",
              f"{{ {views}", *_compare(kernel), "}", "fclose(log);",
              f'if (bad) {{ printf("{MISMATCH_PREFIX} in %s\\n%s", current_case, diff); {inputs} '
              f"return {EXIT_MISMATCH}; }}",
              "free(diff);"]  # fmt: skip
    lines += [f"release(&slot_r[{i}]); release(&slot_c[{i}]);" for i in range(len(arrays))]
    body = "\n        ".join(lines)
    return f"    for (size_t t = 0; t < TESTS; t++) {{\n        {body}\n    }}\n"


def _bench(kernel: Kernel) -> str:
    """Globals for the timing run and `bench_call`, which calls one side on them."""
    decls = [f"static {a.ctype} *bench_{a.name};" for a in kernel.arrays]
    decls += [f"static {s.ctype} bench_{s.name};" for s in kernel.args if isinstance(s, Scalar)]
    decls.append("static size_t bench_n, bench_m;")
    args = ", ".join(f"bench_{a.name}" for a in kernel.args)
    call = f"static void bench_call(int candidate) {{ (void)(candidate ? cand_ptr : ref_ptr)({args}); }}\n"
    setup = ["size_t n = 0, m = 0;", kernel.bench_sizes, "bench_n = n; bench_m = m;"]
    for a in kernel.arrays:
        bytes_ = f"((({a.count}) * sizeof({a.ctype}) + 63) & ~(size_t)63)"
        setup += [f"bench_{a.name} = aligned_alloc(64, {bytes_} ? {bytes_} : 64);",
                  f"fill_{a.fill if a.role != 'out' else 'bits'}(bench_{a.name}, {a.count}, sizeof({a.ctype}));"]
    views = " ".join(f"{a.ctype} *{a.name} = bench_{a.name}; (void){a.name};" for a in kernel.arrays)
    for s in kernel.args:
        if isinstance(s, Scalar):
            setup.append(f"{{ {views} bench_{s.name} = ({s.ctype})({s.value}); }}")
    if kernel.bench_prepare:
        setup.append(f"{{ {views} {kernel.bench_prepare} }}")
    body = "\n    ".join(line for line in setup if line)
    return "\n".join(decls) + "\n" + call + f"static void bench_setup(void) {{\n    {body}\n    (void)m;\n}}\n"


def generate(kernel: Kernel) -> str:
    """The complete harness.c for `kernel`."""
    proto_args = ", ".join(a.declaration for a in kernel.args) or "void"
    head = [
        RUNTIME_C,
        kernel.helpers_c,
        f"__attribute__((noipa)) {kernel.prototype('reference')} {{\n{kernel.reference_c}\n}}",
        f"{kernel.prototype()};",
        f"typedef {kernel.returns} (*fn_t)({proto_args});",
        "static fn_t volatile ref_ptr = reference;",
        f"static fn_t volatile cand_ptr = {kernel.symbol};",
        f"{kernel.prototype('checked_call')};  /* the trampoline below, same registers as the candidate */",
        trampoline(kernel),
        _report_abi(),
        _bench(kernel),
    ]
    main = (
        "int main(int argc, char **argv) {\n"
        "    unsigned watchdog = argc > 1 ? (unsigned)atoi(argv[1]) : 5;\n"
        "    install_handlers();\n"
        "    int cpu = pin_to_current_cpu();\n"
        f"    candidate_target = (void *){kernel.symbol};\n"
        "    alarm(watchdog);\n"
        f"{_test_loop(kernel)}"
        '    snprintf(current_case, sizeof current_case, "timing");\n'
        "    bench_setup();\n"
        "    alarm(watchdog);\n"
        "    time_both();\n"
        "    alarm(0);\n"
        f'    printf("{RESULT_PREFIX} tests=%zu cpu=%d\\n", (size_t)TESTS, cpu);\n'
        "    return 0;\n}\n"
    )
    return "\n".join(head) + "\n" + main
