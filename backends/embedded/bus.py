"""The register writes QEMU logged for peripherals it does not model, and the harness's checks on them.

QEMU maps RCC, the GPIO ports and other unmodelled blocks as `unimplemented-device`s: a read returns
0, a write is dropped, and with `-d unimp` each access is logged as
`GPIOD: unimplemented device write (size 4, offset 0x018, value 0x00001000)`. That log is the only
place a clock enable or a GPIO output shows up under QEMU, so the harness checks it: the OR of all
writes to a register must hold given bits (`BusCheck`), and the writes to watched registers must
come in the expected order (the "bus" transcript).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from backends.embedded.device import UNMODELLED, register_offsets
from backends.embedded.firmware import BusCheck

_WRITE = re.compile(
    r"^(\w+): unimplemented device write \(size (\d+), offset (0x[0-9a-fA-F]+), value (0x[0-9a-fA-F]+)\)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class BusWrite:
    """One logged write, widened to its 32-bit register: `register` like "GPIOD.BSRR"."""

    register: str
    value: int

    def line(self) -> str:
        return f"{self.register}=0x{self.value:08x}"


def writes(log: str) -> list[BusWrite]:
    """Every write to an unmodelled peripheral, in program order; byte/half-word writes are shifted
    into place within their word (a `strb` to BSRR+2 resets pins, as on silicon)."""
    found = []
    for device, _size, offset, value in _WRITE.findall(log):
        address, lane = divmod(int(offset, 16), 4)
        struct = UNMODELLED.get(device)
        names = register_offsets(struct) if struct else {}
        register = names.get(address * 4, f"+0x{address * 4:03x}")
        found.append(BusWrite(f"{device}.{register}", (int(value, 16) << (8 * lane)) & 0xFFFFFFFF))
    return found


def accumulated(found: Iterable[BusWrite]) -> dict[str, int]:
    """Register -> OR of every value written to it."""
    merged: dict[str, int] = defaultdict(int)
    for write in found:
        merged[write.register] |= write.value
    return dict(merged)


def transcript(found: Iterable[BusWrite], watch: Iterable[str]) -> str:
    """The writes to the watched registers, one `REG=0x........` line each."""
    watched = set(watch)
    return "".join(w.line() + "\n" for w in found if w.register in watched)


def failed_checks(found: list[BusWrite], checks: Iterable[BusCheck]) -> list[str]:
    """One line per check the writes do not satisfy, with what was written instead."""
    merged = accumulated(found)
    failures = []
    for check in checks:
        written = merged.get(check.register, 0)
        if not check.holds(written):
            failures.append(
                f"{check.register}: bits 0x{check.mask:08x} should read 0x{check.value:08x}, the firmware "
                f"wrote 0x{written & check.mask:08x} -- {check.why}"
            )
    return failures
