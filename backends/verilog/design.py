"""A concrete Verilog seed design: what a family instance hands to the testbench generator.

A family (counter, FIFO, ...) turns a parameter dict into one `VerilogDesign`. The design carries
everything a task needs: the natural-language spec, the port list (the interface the candidate must
keep), and the golden reference. The self-checking testbench is generated from the ports alone
(`testbench.py`), so a family never writes its own checker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

CLOCK = "clk"
RESET = "rst"  # synchronous, active high, in every sequential design


@dataclass(frozen=True)
class Port:
    """One port of the top module; `width` in bits."""

    name: str
    direction: Literal["input", "output"]
    width: int = 1

    def declaration(self) -> str:
        """The ANSI port declaration, e.g. `input [7:0] a`."""
        vector = f" [{self.width - 1}:0]" if self.width > 1 else ""
        return f"{self.direction}{vector} {self.name}"


@dataclass(frozen=True)
class VerilogDesign:
    """One seed design: spec, interface and golden reference for module `top`.

    `sequential` designs have the `clk` and `rst` inputs; the testbench drives them. `stimulus`
    optionally biases random inputs (name -> probability of 1 for a 1-bit input), so that e.g. a
    FIFO sees pushes and pops at a useful rate.
    """

    family: str
    params: dict[str, int | str]
    top: str
    spec: str
    ports: tuple[Port, ...]
    reference: str
    sequential: bool
    stimulus: dict[str, float] = field(default_factory=dict)

    @property
    def inputs(self) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.direction == "input")

    @property
    def outputs(self) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.direction == "output")

    def interface(self) -> str:
        """The port list as the candidate must write it."""
        body = ",\n    ".join(p.declaration() for p in self.ports)
        return f"module {self.top} (\n    {body}\n);"


@dataclass(frozen=True)
class Family:
    """A parametric seed family: `build(**params)` for every `params` in `grid` gives one design."""

    name: str
    grid: tuple[dict[str, int | str], ...]
    build: Callable[..., VerilogDesign]

    def designs(self) -> list[VerilogDesign]:
        return [self.build(**params) for params in self.grid]
