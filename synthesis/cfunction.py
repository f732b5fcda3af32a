"""A C function as a task interface: prototype, which pointers are arrays of what length, value ranges.

The same spec becomes an x86-64 assembly task (the asm domain's harness, with the C model as its
reference) or an STM32 firmware task (test vectors on the Cortex-M4, expected values from the model
run on the host) -- which is what makes C <-> assembly migration a change of target, not a rewrite.
Only integer types are supported: float results need a tolerance per task, which a curated file does
not state. Length arguments are named `n` (and `m`), as the asm harness expects.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from synthesis.drafts import DraftError
from synthesis.expressions import evaluate

_TYPE_ALIASES = {
    "int": "int32_t", "signed": "int32_t", "signed int": "int32_t", "unsigned": "uint32_t",
    "unsigned int": "uint32_t", "short": "int16_t", "unsigned short": "uint16_t", "signed char": "int8_t",
    "unsigned char": "uint8_t", "char": "char",
}  # fmt: skip
BITS = {"int8_t": 8, "uint8_t": 8, "char": 8, "int16_t": 16, "uint16_t": 16, "int32_t": 32, "uint32_t": 32,
        "int64_t": 64, "uint64_t": 64, "size_t": 64}  # fmt: skip
SIZE_NAMES = ("n", "m")
_LENGTH_HINTS = ("n", "m", "len", "length", "count", "size", "num", "nbytes", "n_samples", "samples")
_PROTOTYPE = re.compile(
    r"^[ \t]*(?:static\s+|inline\s+|extern\s+)*((?:const\s+)?(?:unsigned\s+|signed\s+)?\w+)(?:\s*(\*)\s*|\s+)(\w+)\s*"
    r"\(([^()]*)\)\s*\{",
    re.MULTILINE,
)
EDGE_LENGTHS = (0, 1, 2, 7, 16, 33, 64, 100)


def c_type(text: str) -> str:
    """The fixed-width name of a C integer type; `DraftError` for types without a portable width."""
    name = " ".join(text.replace("const", "").split())
    name = _TYPE_ALIASES.get(name, name)
    if name in ("long", "unsigned long", "long long", "float", "double") or name not in BITS | {"void": 0}:
        raise DraftError(f"type {text!r} is not supported (fixed-width integer types only)")
    return name


def signed(ctype: str) -> bool:
    return ctype in ("int8_t", "int16_t", "int32_t", "int64_t", "char")


def type_range(ctype: str) -> tuple[int, int]:
    bits = BITS[ctype]
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed(ctype) else (0, (1 << bits) - 1)


@dataclass(frozen=True)
class CArg:
    """One argument. Arrays: element type, `count` (C expression over n, m), `fill`
    (bits, small, text, ascii), `const` (input only) or not (read and written). Scalars: the range
    [low, high] test values come from. A `size_t` named n or m is a length."""

    name: str
    ctype: str
    pointer: bool = False
    const: bool = False
    count: str = "n"
    fill: str = "bits"
    low: int | None = None
    high: int | None = None

    @property
    def is_size(self) -> bool:
        return not self.pointer and self.name in SIZE_NAMES

    @property
    def declaration(self) -> str:
        if self.pointer:
            return f"{'const ' if self.const else ''}{self.ctype} *{self.name}"
        return f"{'size_t' if self.is_size else self.ctype} {self.name}"

    def value_range(self) -> tuple[int, int]:
        low, high = type_range(self.ctype)
        return (low if self.low is None else self.low, high if self.high is None else self.high)


@dataclass(frozen=True)
class CFunction:
    """`returns name(args)`; `min_n`/`max_n` bound the lengths tests use."""

    name: str
    returns: str
    args: tuple[CArg, ...]
    min_n: int = 0
    max_n: int = 64

    def prototype(self, name: str | None = None) -> str:
        return f"{self.returns} {name or self.name}({', '.join(a.declaration for a in self.args) or 'void'})"

    @property
    def arrays(self) -> tuple[CArg, ...]:
        return tuple(a for a in self.args if a.pointer)

    @property
    def scalars(self) -> tuple[CArg, ...]:
        return tuple(a for a in self.args if not a.pointer and not a.is_size)


def find_functions(source: str) -> list[tuple[str, str, str]]:
    """(return type text, name, parameter text) of every function definition with a simple prototype."""
    return [(ret + star, name, params) for ret, star, name, params in _PROTOTYPE.findall(source)
            if name not in ("if", "while", "for", "switch", "return", "sizeof")]  # fmt: skip


def from_prototype(returns: str, name: str, params: str, max_n: int = 64) -> CFunction:
    """A spec from a definition's prototype: pointers become arrays of length `n`, the first length-like
    integer argument becomes `n`. Raises `DraftError` when no such reading exists."""
    if "*" in returns:
        raise DraftError(f"{name} returns a pointer")
    args: list[CArg] = []
    length_seen = False
    for item in [p.strip() for p in params.split(",") if p.strip() and p.strip() != "void"]:
        found = re.fullmatch(r"((?:const\s+)?(?:unsigned\s+|signed\s+)?\w+)\s*(\*?)\s*(?:const\s+)?(\w+)", item)
        if found is None:
            raise DraftError(f"{name}: parameter {item!r} is not supported")
        type_text, star, arg = found.groups()
        if star:
            args.append(CArg(arg, c_type(type_text), pointer=True, const=type_text.startswith("const")))
        elif not length_seen and arg.lower() in _LENGTH_HINTS and type_text in ("size_t", "uint32_t", "unsigned",
                                                                               "int", "uint16_t", "unsigned int"):
            args.append(CArg(SIZE_NAMES[0], "size_t"))
            length_seen = True
        else:
            args.append(CArg(arg, c_type(type_text)))
    if any(a.pointer for a in args) and not length_seen:
        raise DraftError(f"{name}: pointer arguments without a length argument")
    return CFunction(name, c_type(returns) if returns.strip() != "void" else "void", tuple(args), max_n=max_n)


# ---- test vectors (Python side; the firmware harness embeds them, the host model runs them) ----

def _element(fill: str, ctype: str, rng: random.Random) -> int:
    low, high = type_range(ctype)
    if fill == "small":
        return rng.randint(0, 3)
    if fill == "text":
        return rng.choice(b"ab")
    if fill == "ascii":
        return rng.randint(32, 126)
    roll = rng.random()
    if roll < 0.06:
        return rng.choice((low, high, 0))
    return rng.randint(low, high)


@dataclass(frozen=True)
class Vector:
    """One test: the length(s), each array's contents, each scalar's value."""

    sizes: dict[str, int]
    arrays: dict[str, list[int]]
    scalars: dict[str, int]


def _count(expression: str, sizes: dict[str, int]) -> int:
    value = evaluate(expression.replace("/", "//"), sizes)
    return int(value) if isinstance(value, int) else 0


def vectors(function: CFunction, count: int, seed: int) -> list[Vector]:
    """`count` tests: edge lengths first (within [min_n, max_n]), then random ones; seeded."""
    rng = random.Random(f"{function.name}:{seed}")
    lengths = sorted({min(max(n, function.min_n), function.max_n) for n in EDGE_LENGTHS})
    out = []
    for index in range(count):
        n = lengths[index] if index < len(lengths) else rng.randint(function.min_n, function.max_n)
        sizes = {"n": n, "m": n}
        arrays = {a.name: [_element(a.fill, a.ctype, rng) for _ in range(_count(a.count, sizes))]
                  for a in function.arrays}  # fmt: skip
        scalars = {a.name: rng.randint(*a.value_range()) for a in function.scalars}
        out.append(Vector(sizes, arrays, scalars))
    return out
