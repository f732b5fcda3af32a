"""What the harness and the runtime own in a firmware image, checked on the objects gcc built.

The candidate's `solution.c` is linked into one image with the harness (main.c) and the runtime
(startup.c, runtime.c), so without these gates it could take the harness's place instead of being
tested by it. On the candidate's object (its sections and its symbols, defined and undefined, as
gcc emitted them: inline assembly and attributes count the same as C):

- no section named `.isr_vector...`: the vector table (initial stack pointer, reset vector, the
  entry of every exception) is the runtime's; a table of the candidate's, linked first, would boot
  the chip into the candidate's code before the harness exists;
- no reference to a symbol the harness or runtime defines (`main`, `Reset_Handler`,
  `firmware_exit`, `console_*`, `runtime_irq_entries`, `Exception_Entry`, ...) unless the task's
  interface declares it (a callback the harness provides, such as `event_log`);
- no definition of a symbol they define or call (`main`, `memcpy`, `__aeabi_uldivmod`, ...): the
  harness's calls are not the candidate's to rebind. The weak interrupt handlers of startup.c are the
  exception: they exist to be overridden.

And on the linked image: the words at the start of flash are the runtime's vector table, entry for
entry. A violation is a COMPILATION_ERROR that names the symbol or section (the build refuses it,
as a linker refuses a duplicate definition).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from backends.embedded.elf import STB_WEAK, Elf
from backends.embedded.firmware import CANDIDATE_FILE

FLASH_ORIGIN = 0x08000000  # stm32f407.ld: the vector table is the first thing in flash
IRQS = 82
_PROTOTYPE = re.compile(r"\b([A-Za-z_]\w*)\s*\((?:[^;{}()]|\([^;{}()]*\))*\)\s*;")  # one level of (...) inside
_RESERVED = (7, 8, 9, 10, 13)  # exception numbers with no vector on the Cortex-M4
_FAULTS = (3, 4, 5, 6)  # HardFault, MemManage, BusFault, UsageFault


def interface_functions(interface: str) -> set[str]:
    """The functions `task.h` declares (the candidate implements them, or the harness provides them)."""
    return set(_PROTOTYPE.findall(interface))


@dataclass(frozen=True)
class Trusted:
    """The external symbols of the harness's and the runtime's objects."""

    defines: frozenset[str]
    overridable: frozenset[str]  # weak definitions: the interrupt handlers
    uses: frozenset[str]

    @classmethod
    def of(cls, objects: Iterable[Elf]) -> Trusted:
        symbols = [s for obj in objects for s in obj.external_symbols()]
        weak = frozenset(s.name for s in symbols if s.defined and s.binding == STB_WEAK)
        defined = frozenset(s.name for s in symbols if s.defined) - weak
        return cls(defined, weak, frozenset(s.name for s in symbols if not s.defined) - defined - weak)


def object_violations(candidate: Elf, trusted: Trusted, interface: str) -> list[str]:
    """One `solution.c: error: ...` line per section or symbol of the candidate's the harness owns."""
    declared = interface_functions(interface)
    where = f"{CANDIDATE_FILE}: error:"
    lines = [
        f"{where} section '{s.name}': the vector table (reset and every exception entry) belongs to the runtime"
        for s in candidate.sections
        if s.name.startswith(".isr_vector")
    ]
    for symbol in candidate.external_symbols():
        name = symbol.name
        if symbol.defined and (name in trusted.defines or name in trusted.uses - declared):
            lines.append(f"{where} defines '{name}', which the test harness or its runtime defines or calls")
        elif not symbol.defined and name in trusted.defines - declared:
            lines.append(f"{where} uses '{name}', which belongs to the test harness and its runtime")
    return sorted(set(lines), key=lines.index)


def _expected_vectors(image: Elf) -> list[int | None]:
    entry, fault = image.address_of("Exception_Entry"), image.address_of("Fault_Entry")
    table = [image.address_of("_estack"), image.address_of("Reset_Handler")]
    for number in range(2, 16 + IRQS):
        table.append(0 if number in _RESERVED else fault if number in _FAULTS else entry)
    return table


def image_violations(image: Elf) -> list[str]:
    """A line when the image's vector table is not the runtime's, entry for entry."""
    expected = _expected_vectors(image)
    found = image.read(FLASH_ORIGIN, 4 * len(expected))
    words = list(struct.unpack(f"<{len(expected)}I", found)) if found else []
    if words != expected:
        return [f"{CANDIDATE_FILE}: error: the image's vector table at 0x{FLASH_ORIGIN:08x} is not the runtime's"]
    return []
