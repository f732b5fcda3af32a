"""C function drafts, for two targets: an x86-64 assembly task or an STM32F407 firmware task.

- asm: the asm domain's harness (`backends/asm/harness.py`) with the C model as its reference; the
  deterministic seed is gcc -O2's translation of the seed C (C -> assembly migration), or a
  hand-written template when the catalog gives one.
- embedded: `solution.c` implementing `task.h`; the harness calls the function on seeded test
  vectors and prints each result (arrays the function writes as an FNV-1a hash) on the console;
  the expected transcript is the C model's output compiled and run on the host -- an independent
  compiler, ABI and word size, so a portability slip in the firmware shows up as a diff.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from backends.asm.domain import task_from_kernel
from backends.asm.kernel import Array, Kernel, Scalar, Size
from backends.embedded.domain import ENVIRONMENT
from backends.embedded.families._common import Probe, main_c
from backends.embedded.firmware import CANDIDATE_FILE, INTERFACE_FILE, Harness
from synthesis.cfunction import CFunction, Vector, signed, type_range, vectors
from synthesis.drafts import Draft, DraftError
from synthesis.hostc import run_program, to_assembly
from synthesis.requirement import Requirement

TARGETS = ("asm", "embedded")
HOST_PRELUDE = """#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#define HASH_INIT 0x811C9DC5UL
static uint32_t hash_word(uint32_t hash, uint32_t value) {
    for (int shift = 0; shift < 32; shift += 8) hash = (hash ^ ((value >> shift) & 0xFFU)) * 0x01000193UL;
    return hash;
}
"""
HASH_BYTES = """static uint32_t hash_bytes(const void *p, size_t bytes) {
    const uint8_t *b = (const uint8_t *)p;
    uint32_t h = HASH_INIT;
    for (size_t i = 0; i < bytes; i++) h = hash_word(h, b[i]);
    return h;
}
"""
_RESULT_LINE = re.compile(r"^(\w+)=(-?\d+)$", re.MULTILINE)


def rename_function(source: str, old: str, new: str) -> str:
    return re.sub(rf"\b{re.escape(old)}\b", new, source)


def c_literal(ctype: str, value: int) -> str:
    return f"({ctype})({value}LL)" if value < 0 or signed(ctype) else f"({ctype})({value}ULL)"


def _scalar_expression(ctype: str, low: int, high: int) -> str:
    """A C expression drawing a value in [low, high] from the asm runtime's generator."""
    if (low, high) == type_range(ctype):
        return "rnd()"
    return f"({ctype})((int64_t)({low}LL) + (int64_t)rnd_below({high - low + 1}ULL))"


@dataclass(frozen=True, kw_only=True)
class CFunctionDraft(Draft):
    """`model` defines the function (the oracle); `seed_c` is the seed implementation in C (default:
    the model); `seed_asm` an assembly template (asm target only). `tests`: vectors on the firmware."""

    function: CFunction
    model: str
    seed_c: str = ""
    seed_asm: str = ""
    syntax: str = "att"
    tests: int = 6
    vector_seed: int = 0

    def __post_init__(self) -> None:
        if self.domain not in TARGETS:
            raise DraftError(f"C function drafts target {', '.join(TARGETS)}, not {self.domain}")
        if self.domain == "embedded" and self.function.returns != "void" and self.function.returns.endswith("64_t"):
            raise DraftError("64-bit results are not printable on the firmware console")

    @property
    def seed(self) -> str:
        return self._seed

    @functools.cached_property
    def _seed(self) -> str:
        source = self.seed_c or self.model
        if self.domain == "embedded":
            return f'#include "{INTERFACE_FILE}"\n\n{source.strip()}\n'
        return self.seed_asm or to_assembly(source, self.syntax)

    def _parts(self, code: str) -> tuple[str, str, dict[str, str]]:
        return self._asm_parts(code) if self.domain == "asm" else self._embedded_parts()

    # ---- asm ----
    def kernel(self, golden: str) -> Kernel:
        f = self.function
        args = []
        for a in f.args:
            if a.pointer:
                args.append(Array(a.name, a.ctype, a.count, "in" if a.const else "inout", a.fill))
            elif a.is_size:
                args.append(Size(a.name))
            else:
                args.append(Scalar(a.name, a.ctype, _scalar_expression(a.ctype, *a.value_range())))
        call = f"{f.name}_model({', '.join(a.name for a in f.args)})"
        sizes = f"n = pick_length(t, {f.min_n}, {max(f.max_n, f.min_n)}); m = n;"
        return Kernel(
            family=self.family, params=dict(self.params), symbol=f.name, returns=f.returns, args=tuple(args),
            reference_c=f"{'return ' if f.returns != 'void' else ''}{call};", semantics=self.requirement.requirement,
            golden=golden, align=1, isa="x86-64-v2 baseline (what gcc -O2 -march=x86-64-v2 emits)",
            sizes=sizes, bench_sizes=f"n = {max(f.max_n, f.min_n)}; m = n;",
            helpers_c=rename_function(self.model, f.name, f"{f.name}_model"),
        )  # fmt: skip

    def _asm_parts(self, code: str) -> tuple[str, str, dict[str, str]]:
        task = task_from_kernel(self.kernel(code), self.syntax)  # type: ignore[arg-type]
        return task.interface, task.harness, dict(task.environment)

    # ---- embedded ----
    def header(self) -> str:
        return f"#include <stddef.h>\n#include <stdint.h>\n\n{self.function.prototype()};\n"

    def test_vectors(self) -> list[Vector]:
        return vectors(self.function, self.tests, self.vector_seed)

    def _globals(self, cases: list[Vector]) -> str:
        lines = [HASH_BYTES]
        for index, case in enumerate(cases):
            for a in self.function.arrays:
                values = case.arrays[a.name] or [0]
                body = ", ".join(c_literal(a.ctype, v) for v in values)
                qualifier = "const " if a.const else ""
                lines.append(f"static {qualifier}{a.ctype} t{index}_{a.name}[{len(values)}] = {{{body}}};")
        return "\n".join(lines) + "\n"

    def _steps(self, cases: list[Vector]) -> list[tuple[str, str, bool] | str]:
        """Statements and (label, expression, signed) probes, in order."""
        f = self.function
        steps: list[tuple[str, str, bool] | str] = []
        for index, case in enumerate(cases):
            args = [f"t{index}_{a.name}" if a.pointer else f"(size_t){case.sizes[a.name]}U" if a.is_size
                    else c_literal(a.ctype, case.scalars[a.name]) for a in f.args]  # fmt: skip
            call = f"{f.name}({', '.join(args)})"
            if f.returns == "void":
                steps.append(f"{call};")
            else:
                steps.append((f"t{index}", call, signed(f.returns)))
            for a in f.arrays:
                if not a.const:
                    count = len(case.arrays[a.name])
                    steps.append((f"t{index}_{a.name}", f"hash_bytes(t{index}_{a.name}, {count}U * sizeof({a.ctype}))",
                                  False))  # fmt: skip
        return steps

    def expected(self, cases: list[Vector]) -> dict[str, int]:
        """Every probe's value from the model, compiled and run on the host."""
        lines = []
        for step in self._steps(cases):
            if isinstance(step, str):
                lines.append(f"    {step}")
            else:
                label, expression, is_signed = step
                cast = "(int32_t)" if is_signed else "(uint32_t)"
                lines.append(f'    printf("{label}=%lld\\n", (long long){cast}({expression}));')
        program = f"{HOST_PRELUDE}\n{self.model}\n{self._globals(cases)}\nint main(void) {{\n" + "\n".join(lines)
        output = run_program(program + "\n    return 0;\n}\n")
        return {label: int(value) for label, value in _RESULT_LINE.findall(output)}

    @functools.cached_property
    def _harness(self) -> Harness:
        cases = self.test_vectors()
        values = self.expected(cases)
        steps: list[str | Probe] = []
        for step in self._steps(cases):
            if isinstance(step, str):
                steps.append(step)
            elif step[0] not in values:
                raise DraftError(f"the host model printed no value for {step[0]}")
            else:
                steps.append(Probe(step[0], step[1], values[step[0]], signed=step[2]))
        source, console = main_c(steps, self._globals(cases))
        return Harness(source, console)

    def _embedded_parts(self) -> tuple[str, str, dict[str, str]]:
        files = f"write {CANDIDATE_FILE}; it must #include \"{INTERFACE_FILE}\""
        return self.header(), self._harness.to_json(), {**ENVIRONMENT, "files": files}


_PLATFORM = {
    "asm": "x86-64 Linux, GNU as ({syntax}), System V AMD64 ABI, x86-64-v2 ISA (SSE4.2, POPCNT; no AVX)",
    "embedded": "STM32F407VG (Cortex-M4F) firmware built with arm-none-eabi-gcc -O2, run under QEMU netduinoplus2",
}
_DEPENDENCIES = {
    "asm": "none: a self-contained function, no libc or system calls, position-independent (RIP-relative data)",
    "embedded": "freestanding C11 with <stdint.h> and <stddef.h> only: no heap, no stdio, no libc calls",
}
_VERIFICATION = {
    "asm": "the harness compares against the C reference model on edge lengths (0, 1, around vector widths) "
    "and random inputs with every array against a guard page, checks callee-saved registers, the direction "
    "flag and MXCSR, then times both pinned to one core against gcc -O2 of the reference",
    "embedded": "the harness calls the function on {tests} seeded test vectors (edge lengths first) on the "
    "emulated MCU and prints every result (arrays the function writes as an FNV-1a hash); the transcript must "
    "equal the C reference model's, compiled and run on the host",
}


def c_requirement(
    text: str, function: CFunction, target: str, syntax: str = "att", tests: int = 6,
    platform: str = "", dependencies: str = "", verification: str = "",
) -> Requirement:
    """The normalized statement of a C function task for `target` (asm or embedded)."""
    arrays = "; ".join(
        f"{a.name} points to {a.count} {a.ctype} ({'read only' if a.const else 'read and written in place'})"
        for a in function.arrays
    )
    where = "a global function symbol" if target == "asm" else f"in {CANDIDATE_FILE}, including {INTERFACE_FILE}"
    interface = f"implement `{function.prototype()}` ({where})" + (f"; {arrays}" if arrays else "")
    if function.arrays:
        interface += f"; n may be anything from {function.min_n} to {function.max_n}"
    syntax_name = "Intel syntax, .intel_syntax noprefix" if syntax == "intel" else "AT&T syntax"
    return Requirement(
        text, interface + ".", platform or _PLATFORM[target].format(syntax=syntax_name),
        dependencies or _DEPENDENCIES[target], verification or _VERIFICATION[target].format(tests=tests),
    )
