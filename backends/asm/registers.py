"""x86-64 register names by architectural register and width, and a tokenizer for one asm line.

Shared by the syntax converter and the fault mutators, which both need to know that `%esi`, `sil`
and `rsi` are one register, and where a line's mnemonic, operands and comment are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Architectural GPRs, each as (64, 32, 16, 8)-bit names.
GPRS: dict[str, tuple[str, str, str, str]] = {
    "rax": ("rax", "eax", "ax", "al"), "rbx": ("rbx", "ebx", "bx", "bl"), "rcx": ("rcx", "ecx", "cx", "cl"),
    "rdx": ("rdx", "edx", "dx", "dl"), "rsi": ("rsi", "esi", "si", "sil"), "rdi": ("rdi", "edi", "di", "dil"),
    "rbp": ("rbp", "ebp", "bp", "bpl"), "rsp": ("rsp", "esp", "sp", "spl"),
    **{f"r{i}": (f"r{i}", f"r{i}d", f"r{i}w", f"r{i}b") for i in range(8, 16)},
}  # fmt: skip
WIDTHS = (8, 4, 2, 1)
CALLEE_SAVED = ("rbx", "rbp", "r12", "r13", "r14", "r15")
# name -> (architectural register, width in bytes); xmm registers have width 16; ah..dh are the
# legacy high bytes (width 1, like al).
REGISTERS: dict[str, tuple[str, int]] = {
    name: (arch, width) for arch, names in GPRS.items() for name, width in zip(names, WIDTHS, strict=True)
} | {f"{r}h": (f"r{r}x", 1) for r in "abcd"} | {f"xmm{i}": (f"xmm{i}", 16) for i in range(16)}
REGISTER_PATTERN = "|".join(sorted(REGISTERS, key=len, reverse=True))


def name_of(arch: str, width: int) -> str:
    """The name of architectural register `arch` at `width` bytes (xmm registers have one)."""
    return arch if arch.startswith("xmm") else GPRS[arch][WIDTHS.index(width)]


@dataclass(frozen=True)
class Line:
    """One source line split into its parts; `mnemonic` is empty for labels, directives, blanks."""

    indent: str
    label: str
    mnemonic: str
    operands: tuple[str, ...]
    comment: str

    @property
    def is_instruction(self) -> bool:
        return bool(self.mnemonic) and not self.mnemonic.startswith(".")


_LABEL = re.compile(r"^(\s*)([\w.$]+:)?(\s*)")


def split_operands(text: str) -> tuple[str, ...]:
    """Operands split at commas outside () and []."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "(["
        depth -= char in ")]"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return tuple(parts)


def parse(line: str) -> Line:
    """Split one line (either syntax). Directives keep their text in `mnemonic` and one operand."""
    code, hash_, comment = line.partition("#")
    match = _LABEL.match(code)
    assert match is not None  # the pattern matches every string
    indent, label, rest = match.group(1), match.group(2) or "", code[match.end() :].rstrip()
    comment = hash_ + comment
    if not rest:
        return Line(indent, label, "", (), comment)
    head, _, tail = rest.partition(" ")
    if head.startswith("."):
        return Line(indent, label, head, (tail.strip(),) if tail.strip() else (), comment)
    if head in ("rep", "repe", "repne", "lock"):  # a prefix and its instruction form one mnemonic
        inner, _, tail = tail.strip().partition(" ")
        head = f"{head} {inner}"
    return Line(indent, label, head, split_operands(tail), comment)
