"""Realistic firmware mistakes, each tagged with its fault kind (see `backends/faults.py`).

Each kind is a slip embedded engineers make and a different check catches: gcc (syntax slip), the
register read-back or QEMU's access log (wrong register bit, missing clock enable), the interrupt
never arriving or arriving at no handler (wrong IRQ number), a hang (an ISR-shared flag that is not
`volatile`, an interrupt flag never acknowledged), a HardFault on the 1 KiB stack (a large buffer
that lost `static`), and the transcript (off-by-one bound, swapped operator). Bit and IRQ swaps
take their neighbours from the device header, so they are always names the header defines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from backends.embedded.device import bit_macros, irq_name, irq_numbers, sibling_bit
from backends.faults import Mutation, Mutator, regex_mutator

_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
_MODER_VALUES = ("GPIO_MODER_INPUT", "GPIO_MODER_OUTPUT", "GPIO_MODER_AF", "GPIO_MODER_ANALOG")
_HANDLER = re.compile(r"^void (\w+_(?:IRQ)?Handler)\(void\) \{")
_FLAG_CLEAR = re.compile(r"->(SR|PR)\s*=|->CR1\s*&=\s*~")
_LOCAL_BUFFER = re.compile(r"^(\s+)static ((?:const )?\w+ \w+\[[^\]]+\];)")
# `>` is left alone: a `> LIMIT` clamp that assigns LIMIT is equivalent with `>=`.
_BOUND = re.compile(r"(?<![<>=!\-])(<=|>=|<)(?![<>=])(\s*)(?=[A-Z_][A-Z0-9_]*\b|\d|len\b|length\b|count\b)")
_SWAP_BOUND = {"<": "<=", "<=": "<", ">=": ">"}


def _syntax_slip(lines: list[str]) -> Iterable[Mutation]:
    for index, line in enumerate(lines):
        body = line.rstrip()
        if body.endswith(";") and not body.lstrip().startswith(("#", "/*", "*")):
            yield Mutation("syntax_slip", index, line, body[:-1], "a statement lost its semicolon")


def _wrong_register_bit(lines: list[str]) -> Iterable[Mutation]:
    """A bit macro replaced by its neighbour in the same register (or a MODER value by the next)."""
    known = bit_macros()
    for index, line in enumerate(lines):
        for match in _IDENT.finditer(line):
            name = match.group(0)
            if name in known:
                wrong = sibling_bit(name)
            elif name in _MODER_VALUES:
                wrong = _MODER_VALUES[(_MODER_VALUES.index(name) + 1) % len(_MODER_VALUES)]
            else:
                continue
            if wrong:
                mutated = line[: match.start()] + wrong + line[match.end() :]
                yield Mutation("wrong_register_bit", index, line, mutated, f"{name} became {wrong}")


def _wrong_irq_number(lines: list[str]) -> Iterable[Mutation]:
    """A device interrupt's IRQn replaced by the next vector's (the previous one for the last)."""
    numbers = irq_numbers()
    last = max(numbers.values())
    for index, line in enumerate(lines):
        for match in re.finditer(r"\b\w+_IRQn\b", line):
            number = numbers.get(match.group(0), -1)
            if number < 0:
                continue
            wrong = irq_name(number + 1 if number < last else number - 1)
            mutated = line[: match.start()] + wrong + line[match.end() :]
            yield Mutation("wrong_irq_number", index, line, mutated, f"{match.group(0)} became {wrong}")


def _missing_clock_enable(lines: list[str]) -> Iterable[Mutation]:
    for index, line in enumerate(lines):
        if re.search(r"\bRCC->\w+ENR\s*\|=", line):
            yield Mutation("missing_clock_enable", index, line, "", "a peripheral clock is never enabled in RCC")


def _missing_irq_clear(lines: list[str]) -> Iterable[Mutation]:
    """A status-flag acknowledgement (or interrupt disable) inside an interrupt handler is dropped."""
    inside = False
    for index, line in enumerate(lines):
        if _HANDLER.match(line):
            inside = True
        elif line.startswith("}"):
            inside = False
        elif inside and _FLAG_CLEAR.search(line):
            yield Mutation("missing_irq_clear", index, line, "", "an interrupt handler no longer acknowledges its flag")


def _stack_overflow(lines: list[str]) -> Iterable[Mutation]:
    """A function-local static buffer becomes automatic: it moves onto the 1 KiB stack."""
    for index, line in enumerate(lines):
        if found := _LOCAL_BUFFER.match(line):
            mutated = f"{found.group(1)}{found.group(2)}"
            why = "a large buffer moved from static storage to the stack"
            yield Mutation("stack_overflow", index, line, mutated, why)


def _missing_volatile(lines: list[str]) -> Iterable[Mutation]:
    for index, line in enumerate(lines):
        if re.match(r"^static volatile ", line):
            mutated = line.replace("volatile ", "", 1)
            yield Mutation("missing_volatile", index, line, mutated, "a variable shared with an ISR is not volatile")


def _off_by_one(lines: list[str]) -> Iterable[Mutation]:
    """A bound comparison moves by one (`<` <-> `<=`, `>=` -> `>`)."""
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("#", "/*", "*")):
            continue
        for match in _BOUND.finditer(line):
            mutated = line[: match.start(1)] + _SWAP_BOUND[match.group(1)] + line[match.end(1) :]
            yield Mutation("off_by_one", index, line, mutated, "a bound is off by one")


_OPERATOR_SWAP = regex_mutator(
    "wrong_operator",
    r" (\+|-|\^|&|\||<<|>>) ",
    lambda m: " " + {"+": "-", "-": "+", "^": "|", "&": "|", "|": "&", "<<": ">>", ">>": "<<"}[m.group(1)] + " ",
    "an operator was swapped for a similar one",
)


def _wrong_operator(lines: list[str]) -> Iterable[Mutation]:
    """An operator swapped for a similar one, except in read-modify-write clears (`&= ~(...)`): the
    registers they clear read as 0 under QEMU, so no check could see the difference."""
    return (m for m in _OPERATOR_SWAP(lines) if "&= ~" not in m.original)


MUTATORS: dict[str, Mutator] = {
    "syntax_slip": _syntax_slip,
    "wrong_register_bit": _wrong_register_bit,
    "missing_clock_enable": _missing_clock_enable,
    "wrong_irq_number": _wrong_irq_number,
    "missing_irq_clear": _missing_irq_clear,
    "missing_volatile": _missing_volatile,
    "stack_overflow": _stack_overflow,
    "off_by_one": _off_by_one,
    "wrong_operator": _wrong_operator,
}
FAULT_KINDS: tuple[str, ...] = tuple(MUTATORS)
