"""The STM32F407 as the Python side sees it: read from the C device files, never restated.

`device/stm32f407.h` is the single source of register knowledge. This module parses the parts the
backend needs from it: bit macros grouped by register (fault injection swaps a bit for its
neighbour), the interrupt numbers (a wrong-IRQ fault moves to the next vector), register offsets of
the peripherals QEMU leaves unmodelled (its access log names offsets, checks name registers), and
which RCC bit clocks which peripheral; and from the linker script, where the run's key goes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

DEVICE_DIR = Path(__file__).parent / "device"
HEADER = DEVICE_DIR / "stm32f407.h"
LINKER_SCRIPT = "stm32f407.ld"
# What a firmware image is built from besides the task's harness and the candidate.
HEADER_FILES: tuple[str, ...] = ("stm32f407.h", "runtime.h")
RUNTIME_SOURCES: tuple[str, ...] = ("startup.c", "runtime.c")
# Clocks after reset (RM0090 section 6.2): the 16 MHz HSI drives SYSCLK, HCLK, PCLK1 and PCLK2.
HSI_HZ = 16_000_000
# QEMU's netduinoplus2 leaves these as `unimplemented-device`s: reads return 0 and every access is
# logged under the name; value = the struct type that describes its registers.
UNMODELLED: dict[str, str] = {
    "RCC": "RCC_TypeDef",
    **{f"GPIO{port}": "GPIO_TypeDef" for port in "ABCDEFGHI"},
}

_RUN_KEY = re.compile(r"^\s*RUNKEY\b[^:]*:\s*ORIGIN\s*=\s*(0x[0-9A-Fa-f]+)", re.MULTILINE)
_BIT = re.compile(r"^#define\s+(\w+)\s+\(1UL << (\d+)\)", re.MULTILINE)
_IRQ = re.compile(r"\b(\w+_IRQn)\s*=\s*(-?\d+)")
_STRUCT = re.compile(r"typedef struct \{(.*?)\} (\w+);", re.DOTALL)
_FIELD = re.compile(r"uint32_t\s+(\w+)(?:\[(\d+)\])?;\s*/\*\s*(0x[0-9A-Fa-f]+)")


@dataclass(frozen=True)
class BitMacro:
    """`name` is bit `bit` of the register group `group` (e.g. USART_CR1_TE: group USART_CR1, bit 3)."""

    name: str
    group: str
    bit: int


@functools.cache
def header_text() -> str:
    return HEADER.read_text()


@functools.cache
def bit_macros() -> dict[str, BitMacro]:
    """Every single-bit macro of the header, by name."""
    return {
        name: BitMacro(name, name.rsplit("_", 1)[0], int(bit)) for name, bit in _BIT.findall(header_text())
    }


def sibling_bit(name: str) -> str | None:
    """The macro for the next bit up (else down) in the same register: the classic wrong-bit slip."""
    macro = bit_macros().get(name)
    if macro is None:
        return None
    same = {m.bit: m.name for m in bit_macros().values() if m.group == macro.group and m.name != name}
    for bit in (macro.bit + 1, macro.bit - 1, *sorted(same, key=lambda b: abs(b - macro.bit))):
        if bit in same:
            return same[bit]
    return None


@functools.cache
def irq_numbers() -> dict[str, int]:
    """IRQn name -> exception number offset (RM0090 Table 61), as the header's enum has them."""
    return {name: int(number) for name, number in _IRQ.findall(header_text())}


@functools.cache
def run_key_address() -> int:
    """Where the emulator writes the run's sentinel key: the linker script's RUNKEY region."""
    found = _RUN_KEY.search((DEVICE_DIR / LINKER_SCRIPT).read_text())
    if found is None:
        raise KeyError(f"no RUNKEY region in {LINKER_SCRIPT}")
    return int(found.group(1), 16)


def irq_name(number: int) -> str:
    return next(name for name, n in irq_numbers().items() if n == number)


@functools.cache
def register_offsets(struct: str) -> dict[int, str]:
    """Byte offset -> register name for a struct whose fields carry `/* 0xNN */` offset comments."""
    for body, name in _STRUCT.findall(header_text()):
        if name == struct:
            offsets: dict[int, str] = {}
            for field, count, offset in _FIELD.findall(body):
                for index in range(int(count or 1)):
                    offsets[int(offset, 16) + 4 * index] = f"{field}[{index}]" if count else field
            return offsets
    raise KeyError(f"struct {struct} not found in {HEADER}")


@dataclass(frozen=True)
class ClockGate:
    """The RCC enable bit a peripheral needs: `register` like "RCC.APB1ENR", `macro` its header name."""

    peripheral: str
    register: str
    bit: int
    macro: str


def clock_gate(peripheral: str) -> ClockGate:
    """Which RCC `*ENR` bit clocks `peripheral` (GPIOD, USART2, TIM3, ...), read from the header."""
    for macro in bit_macros().values():
        found = re.fullmatch(rf"RCC_(\w+ENR)_{peripheral}EN", macro.name)
        if found:
            return ClockGate(peripheral, f"RCC.{found.group(1)}", macro.bit, macro.name)
    raise KeyError(f"no RCC enable bit for {peripheral} in {HEADER.name}")


def bus_clock_macro(peripheral: str) -> str:
    """The header macro for the clock of the APB bus `peripheral` sits on (PCLK1_HZ or PCLK2_HZ)."""
    return "PCLK2_HZ" if clock_gate(peripheral).register == "RCC.APB2ENR" else "PCLK1_HZ"
