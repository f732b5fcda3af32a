"""Shared scaffolding for the goldens: function framing, grids, and the blocked loop most kernels use.

Goldens are AT&T text built from lines; labels sit in column 0, instructions are indented, and a
`#` comment says why where it is not obvious. The blocked loop walks an index register over the
arrays: `unroll` vector steps of `lanes` elements per iteration while a full block remains, then
one element at a time, so no element outside [0, n) is ever touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

Lines = list[str]
ALIGNS = ("aligned16", "unaligned")
TYPES = {"u8": "uint8_t", "i8": "int8_t", "u16": "uint16_t", "i16": "int16_t", "u32": "uint32_t", "i32": "int32_t",
         "u64": "uint64_t", "i64": "int64_t", "f32": "float", "f64": "double"}  # fmt: skip
SIZES = {"u8": 1, "i8": 1, "u16": 2, "i16": 2, "u32": 4, "i32": 4, "u64": 8, "i64": 8, "f32": 4, "f64": 8}
SUFFIX = {1: "b", 2: "w", 4: "d", 8: "q"}  # packed-integer lane suffix: paddb, paddw, paddd, paddq
NOTE_GNU_STACK = '    .section .note.GNU-stack,"",@progbits'


def grid(**axes: Sequence[int | str]) -> tuple[dict[str, int | str], ...]:
    """Every combination of the axis values (first axis varies slowest)."""
    return tuple(dict(zip(axes, values, strict=True)) for values in product(*axes.values()))


def align_bytes(align: str, elem: int) -> int:
    """The pointer alignment the contract guarantees."""
    return 16 if align == "aligned16" else elem


def load(align: str) -> str:
    """The integer vector load the contract allows."""
    return "movdqa" if align == "aligned16" else "movdqu"


def store(align: str) -> str:
    """The integer vector store the contract allows."""
    return "movdqa" if align == "aligned16" else "movdqu"


def broadcast(es: int, reg: str, zero: str = "%xmm15") -> Lines:
    """Broadcast the low element of `reg` (an xmm register) to every lane; bytes need a `zero` register."""
    if es == 1:
        return [f"pxor {zero}, {zero}", f"pshufb {zero}, {reg}  # byte 0 everywhere"]
    if es == 2:
        return [f"pshuflw $0, {reg}, {reg}", f"punpcklqdq {reg}, {reg}"]
    return [f"pshufd $0, {reg}, {reg}"]


def function(symbol: str, body: Lines, rodata: Lines = ()) -> str:
    """A complete assembly file: one global function, optional read-only data, no executable stack."""
    text = ["    .text", f"    .globl {symbol}", f"    .type {symbol}, @function", "    .p2align 4", f"{symbol}:"]
    text += [line if line.endswith(":") or not line else f"    {line}" for line in body]
    text += [f"    .size {symbol}, .-{symbol}"]
    if rodata:
        text += ["    .section .rodata", "    .balign 16", *rodata]
    return "\n".join([*text, NOTE_GNU_STACK, ""])


def mem(base: str, offset: int = 0, scale: int = 1, index: str = "%rcx") -> str:
    """`offset(base,index,scale)`."""
    return f"{offset if offset else ''}({base},{index},{scale})"


def blocked_loop(n: str, block: int, vector: Lines, scalar: Lines, after_vector: Lines = (), end: str = "%r8") -> Lines:
    """Index %rcx over [0, n): `vector` (unrolled already) per `block` elements, then `scalar` per element.

    `after_vector` runs once after the vector loop (a horizontal reduction); it is skipped, with the
    loop, when n < block, so the caller initialises scalar results before.
    """
    lines = ["xorl %ecx, %ecx", f"movq {n}, {end}", f"andq ${-block}, {end}  # elements in whole blocks",
             "je .Ltail", ".Lvector:", *vector]  # fmt: skip
    lines += [f"addq ${block}, %rcx", f"cmpq {end}, %rcx", "jb .Lvector", *after_vector, ".Ltail:",
              f"cmpq {n}, %rcx", "jae .Ldone", ".Lscalar:", *scalar, "addq $1, %rcx", f"cmpq {n}, %rcx", "jb .Lscalar",
              ".Ldone:"]  # fmt: skip
    return lines


def hsum_epi64(acc: str, tmp: str, dst: str) -> Lines:
    """The sum of the two 64-bit lanes of `acc` into GPR `dst`."""
    return [f"pshufd $0x4e, {acc}, {tmp}  # swap the 64-bit halves", f"paddq {tmp}, {acc}", f"movq {acc}, {dst}"]


def hsum_epi32(acc: str, tmp: str, dst: str) -> Lines:
    """The sum of the four 32-bit lanes of `acc` into GPR `dst` (32-bit)."""
    return [f"pshufd $0x4e, {acc}, {tmp}", f"paddd {tmp}, {acc}", f"pshufd $0xb1, {acc}, {tmp}", f"paddd {tmp}, {acc}",
            f"movd {acc}, {dst}"]  # fmt: skip


def combine(op: str, accumulators: Sequence[str]) -> Lines:
    """Fold accumulators pairwise into the first (a tree keeps the dependency chain short)."""
    accs, lines = list(accumulators), []
    while len(accs) > 1:
        lines += [f"{op} {accs[i + 1]}, {accs[i]}" for i in range(0, len(accs) - 1, 2)]
        accs = accs[::2]
    return lines


def xmm(index: int) -> str:
    return f"%xmm{index}"
