"""Realistic Verilog mistakes, each tagged with its fault kind (see `backends/faults.py`).

Each kind is a slip engineers make and tools catch differently: the compiler (syntax slip), the
testbench (wrong operator, off-by-one, inverted condition, missing reset, blocking assignment,
incomplete sensitivity, width mismatch) or the simulator never finishing (missing event control).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from backends.faults import Mutation, Mutator, regex_mutator

_KEYWORDS = {
    "if", "else", "begin", "end", "case", "endcase", "default", "assign", "always", "posedge", "negedge",
    "reg", "wire", "or", "and", "not", "module", "endmodule", "localparam", "integer", "for",
}  # fmt: skip
_IDENT = re.compile(r"\b([A-Za-z_]\w*)\b")


def _syntax_slip(lines: list[str]) -> Iterable[Mutation]:
    for index, line in enumerate(lines):
        body = line.rstrip()
        if body.endswith(";") and not body.lstrip().startswith(("input", "output", "module")):
            yield Mutation("syntax_slip", index, line, body[:-1], "a statement lost its semicolon")


def _width_mismatch(lines: list[str]) -> Iterable[Mutation]:
    declaration = re.compile(r"^(\s*(?:output\s+reg|output|reg|wire)\s*)\[(\d+):0\]")
    for index, line in enumerate(lines):
        if (found := declaration.match(line)) and int(found.group(2)) >= 1:
            mutated = declaration.sub(lambda m: f"{m.group(1)}[{int(m.group(2)) - 1}:0]", line, count=1)
            yield Mutation("width_mismatch", index, line, mutated, "a signal is declared one bit narrower")


def _missing_reset(lines: list[str]) -> Iterable[Mutation]:
    """Drop one register's reset assignment (the line becomes empty, or the inline branch empty)."""
    for index, line in enumerate(lines):
        if not re.search(r"\bif\s*\(\s*rst\s*\)", line):
            continue
        inline = re.search(r"(\bif\s*\(\s*rst\s*\)\s*)(\w.*<=.*;)", line)
        if inline:
            mutated = line[: inline.start(2)] + "begin end" + line[inline.end(2) :]
            yield Mutation("missing_reset", index, line, mutated, "a register is no longer reset")
            continue
        for later in range(index + 1, len(lines)):
            if re.search(r"\belse\b|^\s*end\b", lines[later]):
                break
            if "<=" in lines[later]:
                yield Mutation("missing_reset", later, lines[later], "", "a register is no longer reset")


def _incomplete_sensitivity(lines: list[str]) -> Iterable[Mutation]:
    """`always @(*)` narrowed to the first signal the block reads: the block misses updates."""
    for index, line in enumerate(lines):
        if "@(*)" not in line.replace(" ", ""):
            continue
        block = " ".join(lines[index : index + 8])
        rhs = " ".join(part.split(";")[0] for part in re.split(r"(?<![<>=!])=(?!=)", block)[1:])
        names = [n for n in _IDENT.findall(rhs) if n not in _KEYWORDS and not re.match(r"^\d", n)]
        if names:
            mutated = re.sub(r"@\s*\(\s*\*\s*\)", f"@({names[0]})", line, count=1)
            yield Mutation("incomplete_sensitivity", index, line, mutated, "the sensitivity list misses signals")


MUTATORS: dict[str, Mutator] = {
    "syntax_slip": _syntax_slip,
    "width_mismatch": _width_mismatch,
    "missing_reset": _missing_reset,
    "incomplete_sensitivity": _incomplete_sensitivity,
    "blocking_assignment": regex_mutator(
        "blocking_assignment",
        r"^(\s*(?:(?:else|begin)\s+)*[A-Za-z_][\w\[\]:]*\s*)<=",
        lambda m: f"{m.group(1)}=",
        "a non-blocking assignment in a clocked block became blocking",
    ),
    "off_by_one": regex_mutator(
        "off_by_one",
        r"(\d+)'d(\d+)",
        lambda m: f"{m.group(1)}'d{int(m.group(2)) + 1 if int(m.group(2)) == 0 else int(m.group(2)) - 1}",
        "a constant is off by one",
    ),
    "wrong_operator": regex_mutator(
        "wrong_operator",
        r" (\+|-|&|\||\^|==|!=) ",
        lambda m: " " + {"+": "-", "-": "+", "&": "|", "|": "&", "^": "&", "==": "!=", "!=": "=="}[m.group(1)] + " ",
        "an operator was swapped for a similar one",
    ),
    "inverted_condition": regex_mutator(
        "inverted_condition",
        r"\bif\s*\((?!\s*rst\s*\))(.+)\)(?=\s*(begin)?\s*$|\s+\w)",
        lambda m: f"if (!({m.group(1)}))",
        "a condition is inverted",
    ),
    "missing_event_control": regex_mutator(
        "missing_event_control",
        r"\balways\s*@\s*\([^)]*\)",
        lambda m: "always",
        "an always block lost its event control and loops forever at time 0",
    ),
}
FAULT_KINDS: tuple[str, ...] = tuple(MUTATORS)
