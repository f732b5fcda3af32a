"""A firmware seed task as a family builds it, and the harness the backend checks a candidate with.

A candidate is one C file (`solution.c`) implementing the functions of the task's header (`task.h`,
the interface). The harness is a test driver (`main.c`) that calls them and prints what it sees on
the console (USART1), plus the expected observations: the console transcript, the bytes the task's
own USART must send, and -- for the peripherals QEMU does not model (RCC, GPIO) -- the register
writes the emulator logged. Expected values come from Python reference models, not from running
the golden firmware, so a check can never agree with a bug in the golden.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

CONSOLE = "console"  # USART1: the harness's channel, never the candidate's
INTERFACE_FILE = "task.h"
CANDIDATE_FILE = "solution.c"
HARNESS_FILE = "main.c"


@dataclass(frozen=True)
class BusCheck:
    """`register` (e.g. "RCC.APB1ENR") must end up with `(written & mask) == value`, where `written`
    is the OR of every value the firmware wrote to it (reads of unmodelled registers return 0, so a
    read-modify-write stores exactly the bits it sets). `why` names what the bits mean."""

    register: str
    mask: int
    value: int
    why: str

    def holds(self, written: int) -> bool:
        return written & self.mask == self.value


@dataclass(frozen=True)
class Harness:
    """The test driver and every expected observation (see the module docstring).

    `uarts` maps a USART name in lower case ("usart2") to the exact bytes expected on it; `watch`
    names unmodelled registers ("GPIOD.BSRR") whose writes, in order, must read as `bus`
    ("GPIOD.BSRR=0x00001000" lines).
    """

    main_c: str
    console: str
    uarts: dict[str, str] = field(default_factory=dict)
    watch: tuple[str, ...] = ()
    bus: str = ""
    checks: tuple[BusCheck, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Harness:
        raw = json.loads(text)
        return cls(
            main_c=raw["main_c"],
            console=raw["console"],
            uarts=dict(raw.get("uarts", {})),
            watch=tuple(raw.get("watch", ())),
            bus=raw.get("bus", ""),
            checks=tuple(BusCheck(**check) for check in raw.get("checks", ())),
        )


@dataclass(frozen=True)
class Firmware:
    """One seed: natural-language spec, `task.h` interface, golden `solution.c`, and its harness."""

    family: str
    params: dict[str, int | str]
    spec: str
    interface: str
    reference: str
    harness: Harness


@dataclass(frozen=True)
class Family:
    """A parametric seed family: `build(**params)` for every `params` in `grid` gives one seed."""

    name: str
    grid: tuple[dict[str, int | str], ...]
    build: Callable[..., Firmware]

    def seeds(self) -> list[Firmware]:
        return [self.build(**params) for params in self.grid]
