"""Verilog drafts: a module's ports and an oracle; verified by the Verilog domain's own testbench.

The harness is the Verilog domain's differential testbench (`backends/verilog/testbench.py`): the
candidate and the oracle (its modules renamed `*_ref`) get the same seeded random stimulus, with
reset asserted at the start and mid-run, and every output is compared with `!==` every cycle. That
testbench drives ports named `clk` and `rst` (active high); a module with other names (`clk_i`,
`rst_ni`...) is connected through a thin adapter module on each side, so curated code keeps its
own port names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from backends.verilog.design import CLOCK, RESET, Port, VerilogDesign
from backends.verilog.testbench import REFERENCE_SUFFIX, generate_testbench
from synthesis.drafts import Draft, DraftError
from synthesis.requirement import Requirement

PLATFORM = ("Verilog-2005 (Icarus accepts SystemVerilog-2012 syntax); Icarus Verilog simulation, Verilator "
            "--lint-only -Wall, Yosys synth")  # fmt: skip
DEPENDENCIES = "none: self-contained synthesizable RTL, no vendor primitives, no `include"
VERIFICATION = (
    "a differential testbench drives seeded random inputs into the candidate and the reference model "
    "(reset asserted for the first two cycles and once mid-run) and compares every output with !== on "
    "every cycle; a passing design is then linted by Verilator, synthesised by Yosys and checked for "
    "equivalence with the reference by Yosys"
)
ADAPTER_SUFFIX = "_tb_adapter"
_MODULE_NAME = re.compile(r"\bmodule\s+(\w+)")


def rename_modules(source: str, suffix: str) -> str:
    """Every module defined in `source`, and every use of its name, with `suffix` appended."""
    names = _MODULE_NAME.findall(source)
    if not names:
        raise DraftError("the oracle defines no module")
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    return pattern.sub(lambda m: m.group(1) + suffix, source)


def interface_text(top: str, ports: tuple[Port, ...]) -> str:
    body = ",\n    ".join(p.declaration() for p in ports)
    return f"module {top} (\n    {body}\n);"


@dataclass(frozen=True, kw_only=True)
class VerilogDraft(Draft):
    """`oracle` defines module `top` (and any submodules); `seed_code` is the deterministic seed.
    `clock`/`reset` name those ports (None: combinational / no reset); `reset_low`: active low."""

    top: str
    ports: tuple[Port, ...]
    oracle: str
    seed_code: str
    clock: str | None = None
    reset: str | None = None
    reset_low: bool = False
    stimulus: dict[str, float] = field(default_factory=dict)

    @property
    def seed(self) -> str:
        return self.seed_code

    @property
    def sequential(self) -> bool:
        return self.clock is not None

    @property
    def needs_adapter(self) -> bool:
        return (self.clock not in (None, CLOCK)) or (self.reset not in (None, RESET)) or self.reset_low

    def _normalized(self) -> tuple[Port, ...]:
        names = {self.clock: CLOCK, self.reset: RESET}
        return tuple(Port(names.get(p.name, p.name), p.direction, p.width) for p in self.ports)

    def _adapter(self, inner: str) -> str:
        """Module `<top>_tb_adapter[_ref]`: testbench names outside, the module's own names inside."""
        outer = f"{self.top}{ADAPTER_SUFFIX}{REFERENCE_SUFFIX if inner.endswith(REFERENCE_SUFFIX) else ''}"
        conns = []
        for port in self.ports:
            if port.name == self.clock:
                conns.append(f".{port.name}({CLOCK})")
            elif port.name == self.reset:
                conns.append(f".{port.name}({'~' if self.reset_low else ''}{RESET})")
            else:
                conns.append(f".{port.name}({port.name})")
        return f"{interface_text(outer, self._normalized())}\n    {inner} u ({', '.join(conns)});\nendmodule\n"

    def _parts(self, code: str) -> tuple[str, str, dict[str, str]]:
        top = f"{self.top}{ADAPTER_SUFFIX}" if self.needs_adapter else self.top
        ports = self._normalized() if self.needs_adapter else self.ports
        design = VerilogDesign(self.family, dict(self.params), top, "", ports, self.oracle, self.sequential,
                               dict(self.stimulus))  # fmt: skip
        harness = [generate_testbench(design), rename_modules(self.oracle, REFERENCE_SUFFIX)]
        if self.needs_adapter:
            harness += [self._adapter(self.top), self._adapter(self.top + REFERENCE_SUFFIX)]
        environment = {
            "top": self.top,
            "sequential": str(int(self.sequential)),
            "language": "Verilog-2005",
            "toolchain": "iverilog -g2012 + vvp; verilator --lint-only; yosys synth",
        }
        if self.clock:
            environment["clock"] = f"{self.clock} (rising edge)"
        if self.reset:
            environment["reset"] = f"{self.reset} (active {'low' if self.reset_low else 'high'})"
        return interface_text(self.top, self.ports), "\n".join(harness), environment


def verilog_requirement(
    text: str, top: str, ports: tuple[Port, ...], clock: str | None, reset: str | None, reset_low: bool,
    platform: str = "", dependencies: str = "", verification: str = "",
) -> Requirement:
    """The normalized statement of a Verilog task; empty overrides take the domain's defaults."""
    listing = ", ".join(p.declaration() for p in ports)
    timing = []
    if clock:
        timing.append(f"sequential logic on the rising edge of {clock}")
    if reset:
        level = "low" if reset_low else "high"
        timing.append(f"{reset} is a reset, active {level}, giving every register a defined value")
    interface = f"module {top} with exactly these ports: {listing}" + (f"; {'; '.join(timing)}" if timing else "")
    return Requirement(text, interface + ".", platform or PLATFORM, dependencies or DEPENDENCIES,
                       verification or VERIFICATION)  # fmt: skip
