"""Firmware drafts checked by register values: the expected values come from datasheet arithmetic.

For peripheral set-up (baud-rate registers, timer prescalers, ADC sampling fields) the catalog gives
the steps the harness runs, the registers it prints, and for each the value RM0090's formulas give
for the scenario's parameters. The embedded domain's own `Probe`s print them, its bus checks verify
the RCC clock gates QEMU does not model.
"""

from __future__ import annotations

from dataclasses import dataclass

from backends.embedded.domain import ENVIRONMENT
from backends.embedded.families._common import Probe, af_pin_checks, clock_checks, main_c
from backends.embedded.firmware import CANDIDATE_FILE, INTERFACE_FILE, Harness
from synthesis.drafts import Draft


@dataclass(frozen=True, kw_only=True)
class ProbeDraft(Draft):
    """`steps`: C statements and `Probe`s in order; `clocks`: peripherals whose RCC enable bit must be set;
    `af_pins`: (port, pin, alternate function, role) the firmware must configure (QEMU logs GPIO writes)."""

    header: str
    seed_code: str
    steps: tuple[str | Probe, ...]
    clocks: tuple[str, ...] = ()
    af_pins: tuple[tuple[str, int, int, str], ...] = ()
    globals_c: str = ""

    @property
    def seed(self) -> str:
        return self.seed_code

    @property
    def probes(self) -> tuple[Probe, ...]:
        return tuple(s for s in self.steps if isinstance(s, Probe))

    def harness(self, steps: tuple[str | Probe, ...] | None = None) -> Harness:
        source, console = main_c(list(self.steps if steps is None else steps), self.globals_c)
        checks = clock_checks(*self.clocks)
        for port, pin, af, role in self.af_pins:
            checks += af_pin_checks(port, pin, af, role)
        return Harness(source, console, checks=checks)

    def _parts(self, code: str) -> tuple[str, str, dict[str, str]]:
        files = f"write {CANDIDATE_FILE}; it must #include \"{INTERFACE_FILE}\""
        return self.header, self.harness().to_json(), {**ENVIRONMENT, "files": files}
