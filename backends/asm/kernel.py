"""What an assembly seed task is: a C prototype, its reference model in C, and a golden in GNU as.

A family (array sum, memcpy, strlen...) turns a parameter dict into one `Kernel`. The kernel carries
everything the harness generator needs (`harness.py`): the argument list in prototype order, which
arrays are read or written and how long they are, how to draw sizes and scalar values for a test,
how to compare results, and the size the timing runs at. Goldens are written in AT&T syntax; an
Intel-syntax task gets the same golden through `syntax.to_intel`, byte-identical once assembled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Role = Literal["in", "out", "inout"]
Syntax = Literal["att", "intel"]
# Every x86-64 machine here has these (x86-64-v2); goldens use nothing newer (no AVX).
ISA = "x86-64-v2: SSE2, SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT (no AVX)"
# The /proc/cpuinfo names of what ISA adds to baseline x86-64 and the goldens use.
ISA_CPU_FLAGS = ("pni", "ssse3", "sse4_1", "sse4_2", "popcnt")

INT_REGISTERS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")
_C_SIZE = {
    "int8_t": 1, "uint8_t": 1, "char": 1, "int16_t": 2, "uint16_t": 2, "int32_t": 4, "uint32_t": 4,
    "int64_t": 8, "uint64_t": 8, "size_t": 8, "ptrdiff_t": 8, "float": 4, "double": 8,
}  # fmt: skip


def c_size(ctype: str) -> int:
    """Bytes of one element of a C scalar type."""
    return _C_SIZE[ctype]


def is_float(ctype: str) -> bool:
    return ctype in ("float", "double")


@dataclass(frozen=True)
class Array:
    """A pointer argument: `count` elements (a C expression over the sizes n, m), placed by the
    harness against a guard page. `fill` names a runtime routine: bits, real, text, cstring, ascii,
    nonzero, or small."""

    name: str
    ctype: str
    count: str
    role: Role
    fill: str = "bits"

    @property
    def declaration(self) -> str:
        const = "const " if self.role == "in" else ""
        return f"{const}{self.ctype} *{self.name}"


@dataclass(frozen=True)
class Scalar:
    """A by-value argument; `value` is a C expression evaluated per test (it may use n, m, rnd())."""

    name: str
    ctype: str
    value: str

    @property
    def declaration(self) -> str:
        return f"{self.ctype} {self.name}"


@dataclass(frozen=True)
class Size:
    """A `size_t` length argument (named n or m); the kernel's `sizes` code picks its value."""

    name: str

    @property
    def declaration(self) -> str:
        return f"size_t {self.name}"


Param = Array | Scalar | Size
# Per test t: choose the lengths. Edge lengths first (0, 1, around vector widths), then random ones.
DEFAULT_SIZES = "n = pick_length(t, 0, 1500);"


@dataclass(frozen=True)
class Kernel:
    """One seed task's function.

    `reference_c` is the body of the C reference (the oracle, also timed at gcc -O2); `tolerance`
    is a C expression for the allowed |got - want| of a floating-point return (None: exact);
    `sizes` and `bench_sizes` are C statements assigning the size variables (n, m) for test `t`
    and for the timing run; `prepare` adjusts each test's inputs after they are drawn (e.g. plants
    the needle in the haystack) and `bench_prepare` the timing inputs (e.g. a needle that never
    matches, so the whole haystack is scanned). `align` is the pointer alignment the contract guarantees, in bytes.
    """

    family: str
    params: dict[str, int | str]
    symbol: str
    returns: str
    args: tuple[Param, ...]
    reference_c: str
    semantics: str
    golden: str
    align: int
    isa: str
    sizes: str = DEFAULT_SIZES
    bench_sizes: str = "n = 4096;"
    prepare: str = ""
    bench_prepare: str = ""
    tolerance: str | None = None
    notes: tuple[str, ...] = ()
    helpers_c: str = ""

    @property
    def arrays(self) -> tuple[Array, ...]:
        return tuple(a for a in self.args if isinstance(a, Array))

    @property
    def size_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args if isinstance(a, Size))

    @property
    def uses_m(self) -> bool:
        """Whether the second size variable matters (an argument, or an array length)."""
        return "m" in self.size_names or any("m" in a.count for a in self.arrays)

    def registers(self) -> list[tuple[Param, str]]:
        """Each argument with the System V register it arrives in (integer class, or xmm for floats)."""
        ints, floats, out = 0, 0, []
        for arg in self.args:
            if isinstance(arg, Scalar) and is_float(arg.ctype):
                out.append((arg, f"xmm{floats}"))
                floats += 1
            else:
                out.append((arg, INT_REGISTERS[ints]))
                ints += 1
        return out

    def prototype(self, name: str | None = None) -> str:
        """The C prototype, optionally under another name (the harness's reference is `reference`)."""
        params = ", ".join(a.declaration for a in self.args) or "void"
        return f"{self.returns} {name or self.symbol}({params})"


@dataclass(frozen=True)
class Family:
    """A parametric family: `build(**params)` for every `params` in `grid` gives one kernel."""

    name: str
    grid: tuple[dict[str, int | str], ...]
    build: Callable[..., Kernel]

    def kernels(self) -> list[Kernel]:
        return [self.build(**params) for params in self.grid]
