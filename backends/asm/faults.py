"""Realistic assembly mistakes, each tagged with its fault kind (see `backends/faults.py`).

All are line-local and work in both syntaxes. What catches them: the assembler (a misspelled
mnemonic, an immediate as destination), the guard pages and alignment checks of the CPU (a
misaligned SSE access, an off-by-one loop bound walking into the guard page), the harness's
comparisons (a wrong register or lane width, swapped operands) and its trampoline (a callee-saved
register not restored), or the watchdog (a loop whose index is never advanced).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from backends.asm.registers import CALLEE_SAVED, REGISTER_PATTERN, REGISTERS, Line, name_of, parse
from backends.faults import Mutation, Mutator

_REG = re.compile(rf"(?<![\w.$])%?({REGISTER_PATTERN})\b")
_NO_OPERAND_REWRITE = ("push", "pop", "ret", "j", "call", "rep")
_UNALIGNED = {"movdqu": "movdqa", "movups": "movaps", "movupd": "movapd", "lddqu": "movdqa"}
# Packed instructions whose narrower memory operand has no alignment requirement.
_NARROW_MEMORY = ("pinsr", "pextr", "pmovsx", "pmovzx", "movlp", "movhp", "movq", "movd", "movs", "popcnt", "push",
                  "pop", "pause", "prefetch")  # fmt: skip
_BOUNDS = {"jb": "jbe", "jbe": "jb", "jae": "ja", "ja": "jae", "jl": "jle", "jle": "jl", "jge": "jg", "jg": "jge"}
_LANES: dict[str, tuple[str, ...]] = {
    "padd": ("b", "w", "d", "q"), "psub": ("b", "w", "d", "q"), "paddus": ("b", "w"), "padds": ("b", "w"),
    "psubus": ("b", "w"), "psubs": ("b", "w"), "pcmpeq": ("b", "w", "d", "q"), "pcmpgt": ("b", "w", "d", "q"),
    "pmaxs": ("b", "w", "d"), "pmaxu": ("b", "w", "d"), "pmins": ("b", "w", "d"), "pminu": ("b", "w", "d"),
    "psll": ("w", "d", "q"), "psrl": ("w", "d", "q"), "psra": ("w", "d"),
    "punpckl": ("bw", "wd", "dq", "qdq"), "punpckh": ("bw", "wd", "dq", "qdq"),
}  # fmt: skip
_INCREMENT = re.compile(r"^(add|sub|inc|dec)[bwlq]?$")


def _render(line: Line, raw: str, mnemonic: str, operands: Iterable[str]) -> str:
    """`raw` with its instruction replaced, keeping indentation, label and comment."""
    code = raw.partition("#")[0]
    gap = code[len(code.rstrip()) :]
    spacer = " " if line.label else ""
    text = f"{mnemonic} {', '.join(operands)}".rstrip()
    return f"{line.indent}{line.label}{spacer}{text}{gap}{line.comment}"


def _instructions(lines: list[str]) -> Iterable[tuple[int, str, Line]]:
    for index, raw in enumerate(lines):
        line = parse(raw)
        if line.is_instruction:
            yield index, raw, line


def _is_memory(operand: str) -> bool:
    return "(" in operand or "[" in operand


def _used_registers(lines: list[str]) -> list[str]:
    """Architectural registers the source uses, in order of first use (never rsp)."""
    seen: dict[str, None] = {}
    for _, _, line in _instructions(lines):
        for operand in line.operands:
            for name in _REG.findall(operand):
                if REGISTERS[name][0] != "rsp":
                    seen.setdefault(REGISTERS[name][0], None)
    return list(seen)


def _wrong_register(lines: list[str]) -> Iterable[Mutation]:
    """One register operand replaced by the next register of its class the function uses."""
    used = _used_registers(lines)
    for index, raw, line in _instructions(lines):
        if line.mnemonic.startswith(_NO_OPERAND_REWRITE):
            continue
        for position, operand in enumerate(line.operands):
            for found in _REG.finditer(operand):
                arch, width = REGISTERS[found.group(1)]
                peers = [r for r in used if r.startswith("xmm") == arch.startswith("xmm")]
                if arch not in peers or len(peers) < 2:
                    continue
                other = name_of(peers[(peers.index(arch) + 1) % len(peers)], width)
                start, end = found.span(1)
                operands = list(line.operands)
                operands[position] = operand[:start] + other + operand[end:]
                description = f"{found.group(1)} became {other}: the instruction uses the wrong register"
                yield Mutation("wrong_register", index, raw, _render(line, raw, line.mnemonic, operands), description)


def _clobbered_callee_saved(lines: list[str]) -> Iterable[Mutation]:
    """The save or the restore of a callee-saved register goes to/from r11 instead."""
    for index, raw, line in _instructions(lines):
        if not line.mnemonic.startswith(("push", "pop")) or len(line.operands) != 1:
            continue
        name = line.operands[0].lstrip("%")
        if REGISTERS.get(name, ("", 0))[0] not in CALLEE_SAVED:
            continue
        scratch = line.operands[0].replace(name, "r11")
        what = "saves r11 instead of" if line.mnemonic.startswith("push") else "restores into r11 instead of"
        yield Mutation("clobbered_callee_saved", index, raw, _render(line, raw, line.mnemonic, [scratch]),
                       f"the prologue/epilogue {what} {name}: the caller's {name} is clobbered")  # fmt: skip


def _shift_displacement(operand: str, by: int) -> str | None:
    """The memory operand moved by `by` bytes (None for RIP-relative data)."""
    if "rip" in operand:
        return None
    if operand.endswith("]"):  # Intel: [base+index*scale+disp]
        found = re.search(r"(?:([+-])(\d+))?\]$", operand)
        assert found is not None  # the operand ends with ]
        value = int(found.group(2) or 0) * (-1 if found.group(1) == "-" else 1) + by
        return f"{operand[: found.start()]}{'+' if value >= 0 else '-'}{abs(value)}]"
    found = re.match(r"^(-?\d*)\(", operand)
    if found is None:
        return None
    return f"{int(found.group(1) or 0) + by}{operand[found.end() - 1 :]}"


def _misaligned_simd_load(lines: list[str]) -> Iterable[Mutation]:
    """An unaligned SSE access made aligned, or an aligned one moved off its 16-byte boundary."""
    for index, raw, line in _instructions(lines):
        memory = [i for i, op in enumerate(line.operands) if _is_memory(op)]
        if not memory:
            continue
        if line.mnemonic in _UNALIGNED:
            aligned = _UNALIGNED[line.mnemonic]
            yield Mutation("misaligned_simd_load", index, raw, _render(line, raw, aligned, line.operands),
                           f"{line.mnemonic} became {aligned}, which faults on an address not 16-byte aligned")
            continue
        packed = line.mnemonic.startswith("p") or line.mnemonic.endswith(("ps", "pd")) or line.mnemonic == "movdqa"
        if not packed or line.mnemonic.startswith(_NARROW_MEMORY) or line.mnemonic.startswith("movu"):
            continue
        operands = list(line.operands)
        if (shifted := _shift_displacement(operands[memory[0]], 8)) is None:
            continue
        operands[memory[0]] = shifted
        yield Mutation("misaligned_simd_load", index, raw, _render(line, raw, line.mnemonic, operands),
                       "a 16-byte SSE memory operand is 8 bytes off its aligned address")  # fmt: skip


def _off_by_one_bound(lines: list[str]) -> Iterable[Mutation]:
    """A loop-bound branch made inclusive (or exclusive): one iteration too many or too few."""
    for index, raw, line in _instructions(lines):
        if line.mnemonic in _BOUNDS:
            other = _BOUNDS[line.mnemonic]
            yield Mutation("off_by_one_bound", index, raw, _render(line, raw, other, line.operands),
                           f"the bound check {line.mnemonic} became {other}: the loop runs one step off")  # fmt: skip


def _syntax_slip(lines: list[str]) -> Iterable[Mutation]:
    """Two letters of a mnemonic transposed (the assembler rejects it)."""
    for index, raw, line in _instructions(lines):
        word = line.mnemonic.split()[-1]
        if len(word) < 3 or word[1] == word[2]:
            continue
        typo = word[0] + word[2] + word[1] + word[3:]
        mnemonic = line.mnemonic[: len(line.mnemonic) - len(word)] + typo
        yield Mutation("syntax_slip", index, raw, _render(line, raw, mnemonic, line.operands),
                       f"the mnemonic {word} is misspelled {typo}")  # fmt: skip


def _missing_increment(lines: list[str]) -> Iterable[Mutation]:
    """A pointer or index update (`add $k, reg`, `inc reg`...) deleted; the line becomes empty."""
    for index, raw, line in _instructions(lines):
        if not _INCREMENT.match(line.mnemonic) or line.label:
            continue
        registers = [op for op in line.operands if _REG.fullmatch(op)]
        immediates = [op for op in line.operands if re.fullmatch(r"\$?-?(0x)?[0-9a-fA-F]+", op)]
        if len(registers) != 1 or len(line.operands) != 1 + len(immediates) or len(immediates) > 1:
            continue
        if REGISTERS[registers[0].lstrip("%")][0] not in ("rsp",) and not registers[0].lstrip("%").startswith("xmm"):
            yield Mutation("missing_increment", index, raw, "", f"the update `{raw.strip()}` was dropped")


def _wrong_lane_width(lines: list[str]) -> Iterable[Mutation]:
    """A packed integer operation on the neighbouring lane width (paddd -> paddq)."""
    for index, raw, line in _instructions(lines):
        for stem, widths in _LANES.items():
            rest = line.mnemonic[len(stem) :]
            if line.mnemonic.startswith(stem) and rest in widths:
                other = stem + widths[(widths.index(rest) + 1) % len(widths)]
                yield Mutation("wrong_lane_width", index, raw, _render(line, raw, other, line.operands),
                               f"{line.mnemonic} became {other}: the lanes are the wrong width")  # fmt: skip
                break


def _swapped_operands(lines: list[str]) -> Iterable[Mutation]:
    """Source and destination exchanged (the AT&T/Intel order confusion), on register/memory operands."""
    for index, raw, line in _instructions(lines):
        ops = line.operands
        if len(ops) != 2 or line.mnemonic.startswith(_NO_OPERAND_REWRITE) or ops[0] == ops[1]:
            continue
        if any(op.startswith("$") or not (_is_memory(op) or _REG.fullmatch(op)) for op in ops):
            continue
        if _is_memory(ops[0]) and _is_memory(ops[1]):
            continue
        yield Mutation("swapped_operands", index, raw, _render(line, raw, line.mnemonic, [ops[1], ops[0]]),
                       "source and destination operands are swapped")  # fmt: skip


MUTATORS: dict[str, Mutator] = {
    "wrong_register": _wrong_register,
    "clobbered_callee_saved": _clobbered_callee_saved,
    "misaligned_simd_load": _misaligned_simd_load,
    "off_by_one_bound": _off_by_one_bound,
    "syntax_slip": _syntax_slip,
    "missing_increment": _missing_increment,
    "wrong_lane_width": _wrong_lane_width,
    "swapped_operands": _swapped_operands,
}
FAULT_KINDS: tuple[str, ...] = tuple(MUTATORS)
