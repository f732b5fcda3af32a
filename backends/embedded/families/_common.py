"""Shared scaffolding for firmware families: grids, C text, harness steps with their expected lines.

A harness is written as a list of steps: plain C statements, and `Probe`s that print one value. A
probe carries the C expression and the value the Python reference model expects, so the harness
source and its expected transcript are generated from the same list and cannot drift apart. The
inputs a harness feeds the candidate come from `stimulus(seed, ...)`, so the same list is rebuilt,
with fresh inputs and the values the models expect for them, for every run's seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from string import Template
from textwrap import dedent, indent

from backends.embedded.device import clock_gate
from backends.embedded.firmware import BusCheck, Firmware, Harness

Params = dict[str, int | str]
FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193
MASK32 = 0xFFFFFFFF
TEMPLATES = Path(__file__).parent / "templates"


def grid(**axes: Sequence[int | str]) -> tuple[Params, ...]:
    """Every combination of the axis values, as parameter dicts (first axis varies slowest)."""
    names = tuple(axes)
    return tuple(dict(zip(names, values, strict=True)) for values in product(*axes.values()))


def stimulus(seed: int, *task: object) -> random.Random:
    """The random source of one harness's inputs: named by the task (so tasks differ) and the run's
    seed (so runs differ; seed 0 builds the stored task's harness)."""
    return random.Random("/".join(map(str, (*task, seed))))


def code(text: str) -> str:
    """Dedent C written inside Python; strip surrounding blank lines; end with one newline."""
    return dedent(text).strip("\n") + "\n"


def spec_text(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Probe:
    """Print `label=<expr>` from the firmware; the reference model says it must be `value`."""

    label: str
    expr: str
    value: int
    signed: bool = False

    def c(self) -> str:
        if self.signed:
            return f'console_kv("{self.label}", (int32_t)({self.expr}));'
        return f'console_kx("{self.label}", (uint32_t)({self.expr}));'

    def line(self) -> str:
        if self.signed:
            return f"{self.label}={self.value}"
        return f"{self.label}=0x{self.value & MASK32:08x}"


def main_c(steps: Sequence[str | Probe], globals_: str = "") -> tuple[str, str]:
    """The harness source and its expected console transcript."""
    body = []
    for step in steps:
        text = step.c() if isinstance(step, Probe) else step
        body += [f"    {line}" if line else "" for line in text.strip("\n").split("\n")]
    source = (
        '#include <stdint.h>\n\n#include "runtime.h"\n#include "stm32f407.h"\n#include "task.h"\n\n'
        + (code(globals_) + "\n" if globals_ else "")
        + "int main(void) {\n"
        + "\n".join(body)
        + "\n    return 0;\n}\n"
    )
    expected = "".join(step.line() + "\n" for step in steps if isinstance(step, Probe))
    return source, expected


def c_array(ctype: str, name: str, values: Iterable[int], per_line: int = 12) -> str:
    """`static const <ctype> name[N] = {...};` wrapped for reading."""
    items = [str(v) for v in values]
    rows = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    body = ",\n    ".join(rows)
    return f"static const {ctype} {name}[{len(items)}] = {{\n    {body}\n}};\n"


def fnv1a(values: Iterable[int], width: int = 4) -> int:
    """FNV-1a over each value's `width` little-endian bytes (width 4 is the runtime's `hash_word`)."""
    h = FNV_OFFSET
    for value in values:
        for shift in range(0, 8 * width, 8):
            h = ((h ^ ((value >> shift) & 0xFF)) * FNV_PRIME) & MASK32
    return h


def clock_checks(*peripherals: str) -> tuple[BusCheck, ...]:
    """The RCC enable bit of each peripheral must be set (QEMU does not gate clocks; silicon does)."""
    checks = []
    for peripheral in peripherals:
        gate = clock_gate(peripheral)
        why = f"{gate.macro}: the {peripheral} clock must be enabled before {peripheral} is used"
        checks.append(BusCheck(gate.register, 1 << gate.bit, 1 << gate.bit, why))
    return tuple(checks)


def pin_field_check(port: str, register: str, pins: Iterable[int], width: int, value: int, why: str) -> BusCheck:
    """A `width`-bit field per pin (MODER/PUPDR: 2, AFR: 4 per pin within its half) must hold `value`."""
    mask = field = 0
    for pin in pins:
        shift = (pin % (32 // width)) * width
        mask |= ((1 << width) - 1) << shift
        field |= value << shift
    return BusCheck(f"{port}.{register}", mask, field, why)


def fill(template: str, **snippets: str) -> str:
    """`code(template)` with each line that reads `@NAME@` replaced by snippet NAME, indented like it
    (an empty snippet removes the line)."""
    out = []
    for line in code(template).split("\n"):
        name = line.strip()
        if name.startswith("@") and name.endswith("@") and name[1:-1] in snippets:
            snippet = snippets[name[1:-1]]
            if snippet.strip():
                margin = line[: len(line) - len(line.lstrip())]
                out.append(indent(code(snippet), margin).rstrip("\n"))
        else:
            out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out))


def render(template: str, snippets: dict[str, str] | None = None, **values: object) -> str:
    """The golden source `templates/<template>.c`: `${name}` replaced by `values`, then each `@NAME@`
    line by a snippet (see `fill`). C never uses `$`, so the templates stay readable C."""
    text = Template((TEMPLATES / f"{template}.c").read_text()).substitute(values)
    return fill(text, **(snippets or {}))


def af_pin(port: str, pin: int, af: int) -> str:
    """C lines that put `port` pin `pin` in alternate-function mode `af` (read-modify-write)."""
    afr, shift = pin // 8, 4 * (pin % 8)
    return code(f"""
        {port}->MODER &= ~(3UL << {2 * pin}U);
        {port}->MODER |= GPIO_MODER_AF << {2 * pin}U;
        {port}->AFR[{afr}] &= ~(0xFUL << {shift}U);
        {port}->AFR[{afr}] |= {af}UL << {shift}U;
    """)


def af_pin_checks(port: str, pin: int, af: int, role: str) -> tuple[BusCheck, ...]:
    """The bus checks `af_pin` must satisfy: MODER field 0b10 and the AF number in AFR."""
    return (
        pin_field_check(port, "MODER", [pin], 2, 0b10, f"P{port[-1]}{pin} must be in alternate-function mode ({role})"),
        pin_field_check(port, f"AFR[{pin // 8}]", [pin], 4, af, f"P{port[-1]}{pin} must select AF{af} ({role})"),
    )


def nvic_enabled(irq: str, number: int) -> Probe:
    """Probe the NVIC enable bit of an interrupt: 1 when the firmware enabled the right vector."""
    return Probe(f"nvic_{irq}", f"(NVIC->ISER[{number >> 5}] >> {number & 31}U) & 1U", 1)


def firmware(
    family: str, params: Params, spec: str, interface: str, reference: str, harness: Harness
) -> Firmware:
    return Firmware(family, dict(params), spec_text(spec), code(interface), code(reference), harness)
