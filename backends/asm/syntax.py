"""AT&T to Intel (`.intel_syntax noprefix`) conversion of the goldens.

Goldens are written once, in AT&T syntax; an Intel-syntax task gets the converted text. The
conversion covers the subset the goldens use (suffixed GPR mnemonics, SSE mnemonics, base/index/
scale/displacement and RIP-relative memory operands, immediates, labels, directives) and is checked
where it matters: the test suite assembles both forms of every golden and requires identical bytes.
"""

from __future__ import annotations

import re

from backends.asm.registers import REGISTERS, Line, parse

INTEL_HEADER = ".intel_syntax noprefix"
_PTR = {1: "BYTE", 2: "WORD", 4: "DWORD", 8: "QWORD"}
_SUFFIX = {"b": 1, "w": 2, "l": 4, "q": 8}
# GPR mnemonics written with a size suffix in AT&T; the suffix goes, a PTR size comes where memory is.
_SUFFIXED = {
    "mov", "add", "sub", "and", "or", "xor", "cmp", "test", "lea", "inc", "dec", "neg", "not", "shl", "shr", "sar",
    "rol", "ror", "imul", "push", "pop", "popcnt", "bsf", "bsr", "tzcnt", "lzcnt", "crc32", "adc", "sbb", "bswap",
    "movabs", "xchg",
}  # fmt: skip
# Sign/zero extensions: AT&T encodes both sizes in the name; Intel names the source size with PTR.
_EXTENSIONS = {"movzbl": ("movzx", 1), "movzbq": ("movzx", 1), "movzwl": ("movzx", 2), "movzwq": ("movzx", 2),
               "movsbl": ("movsx", 1), "movsbq": ("movsx", 1), "movswl": ("movsx", 2), "movswq": ("movsx", 2),
               "movslq": ("movsxd", 4)}  # fmt: skip
# SSE instructions whose memory operand is narrower than 16 bytes: Intel names its size.
_SSE_MEMORY = {"movd": 4, "movq": 8, "movss": 4, "movsd": 8, "pinsrb": 1, "pinsrw": 2, "pinsrd": 4, "pinsrq": 8,
               "pextrb": 1, "pextrw": 2, "pextrd": 4, "pextrq": 8, "movlps": 8, "movhps": 8, "movlpd": 8,
               "movhpd": 8, "pmovsxdq": 8, "pmovzxdq": 8, "pmovsxwd": 8, "pmovzxwd": 8, "pmovsxbw": 8,
               "pmovzxbw": 8, "pmovzxbd": 4, "pmovsxbd": 4}  # fmt: skip
_MEMORY = re.compile(r"^(?P<disp>[^(]*)\((?P<base>%\w+)?(?:,(?P<index>%\w+)(?:,(?P<scale>\d))?)?\)$")


class UnsupportedSyntax(ValueError):
    """A golden uses a construct the converter does not know; extend it rather than guess."""


def _memory(operand: str) -> str | None:
    """`disp(base,index,scale)` as `[base+index*scale+disp]`, or None if not a memory operand."""
    found = _MEMORY.match(operand)
    if found is None:
        return None
    parts = []
    if found.group("base"):
        parts.append(found.group("base")[1:])
    if found.group("index"):
        parts.append(found.group("index")[1:] + (f"*{found.group('scale')}" if found.group("scale") else ""))
    disp = found.group("disp").strip()
    text = "+".join(parts)
    if disp:
        text = f"{text}{disp}" if disp.startswith("-") else f"{text}+{disp}"
    return f"[{text}]"


def _operand(operand: str) -> tuple[str, bool]:
    """(Intel text, is memory)."""
    if operand.startswith("%"):
        if operand[1:] not in REGISTERS:
            raise UnsupportedSyntax(f"unknown register {operand}")
        return operand[1:], False
    if operand.startswith("$"):
        return operand[1:], False
    if (memory := _memory(operand)) is not None:
        return memory, True
    return operand, False  # a label


def _mnemonic(mnemonic: str, operands: tuple[str, ...]) -> tuple[str, int | None]:
    """(Intel mnemonic, PTR size for a memory operand or None)."""
    if mnemonic in _EXTENSIONS:
        return _EXTENSIONS[mnemonic]
    has_xmm = any(op.startswith("%xmm") for op in operands)
    if mnemonic in _SSE_MEMORY and (has_xmm or mnemonic not in ("movq", "movsd")):
        return mnemonic, _SSE_MEMORY[mnemonic]
    stem, suffix = mnemonic[:-1], mnemonic[-1:]
    if suffix in _SUFFIX and stem in _SUFFIXED:
        return stem, None if stem == "lea" else _SUFFIX[suffix]
    if mnemonic.startswith("crc32") and suffix in _SUFFIX:
        return "crc32", _SUFFIX[suffix]
    return mnemonic, None


def _instruction(line: Line) -> str:
    mnemonic, size = _mnemonic(line.mnemonic, line.operands)
    converted = []
    for operand in reversed(line.operands):
        text, is_memory = _operand(operand)
        if is_memory and size is not None:
            text = f"{_PTR[size]} PTR {text}"
        converted.append(text)
    return f"{mnemonic} {', '.join(converted)}".rstrip()


def to_intel(att: str) -> str:
    """The same program in `.intel_syntax noprefix` (directive first)."""
    out = [INTEL_HEADER]
    for raw in att.split("\n"):
        line = parse(raw)
        if not line.is_instruction:
            out.append(raw)
            continue
        spacer = " " if line.label else ""
        comment = f"  {line.comment}" if line.comment else ""
        out.append(f"{line.indent}{line.label}{spacer}{_instruction(line)}{comment}")
    return "\n".join(out)
