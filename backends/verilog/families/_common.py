"""Shared scaffolding for the Verilog seed families: grids, port tuples, literals and module text.

Families write only their module body; the ANSI header is generated here from the same `Port` tuple
the testbench uses, so the reference's port order can never drift from `design.ports`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from itertools import product
from textwrap import dedent, indent

from backends.verilog.design import CLOCK, RESET, Port, VerilogDesign

Params = dict[str, int | str]


def grid(**axes: Sequence[int | str]) -> tuple[Params, ...]:
    """Every combination of the axis values, as parameter dicts (first axis varies slowest)."""
    names = tuple(axes)
    return tuple(dict(zip(names, values, strict=True)) for values in product(*axes.values()))


def index_bits(count: int) -> int:
    """Bits needed to index `count` distinct values (at least 1)."""
    return max(1, (count - 1).bit_length())


def lit(width: int, value: int) -> str:
    """A sized decimal literal, e.g. `4'd9`."""
    return f"{width}'d{value}"


def hexlit(width: int, value: int) -> str:
    """A sized hex literal, e.g. `8'h07`."""
    return f"{width}'h{value:0{(width + 3) // 4}X}"


def sized(width: int) -> str:
    """`a 4-bit` / `an 8-bit`: the indefinite article for a width as it is read aloud."""
    article = "an" if str(width).startswith("8") or width in (11, 18) else "a"
    return f"{article} {width}-bit"


def counted(count: int, noun: str) -> str:
    """`1 stage` / `3 stages`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def vec(width: int) -> str:
    """The range of a declaration with a trailing space, e.g. `[7:0] `; empty for one bit."""
    return f"[{width - 1}:0] " if width > 1 else ""


def ports(inputs: Mapping[str, int], outputs: Mapping[str, int], *, clocked: bool) -> tuple[Port, ...]:
    """The port tuple, with `clk` and `rst` first for clocked designs."""
    head = (Port(CLOCK, "input"), Port(RESET, "input")) if clocked else ()
    ins = tuple(Port(name, "input", width) for name, width in inputs.items())
    outs = tuple(Port(name, "output", width) for name, width in outputs.items())
    return head + ins + outs


def code(text: str, level: int = 1) -> str:
    """Dedent a Verilog snippet written inside Python and indent it `level` steps of 4 spaces.

    Lines holding only indentation come from optional `{snippet}` placeholders left empty and are
    dropped; truly empty lines (blank lines in the template) are kept as single separators.
    """
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (line == "" and lines and lines[-1] != ""):
            lines.append(line)
    return indent(dedent("\n".join(lines)).strip("\n"), "    " * level) + "\n"


def clocked(resets: Sequence[str], updates: Sequence[str]) -> str:
    """A module-level `always @(posedge clk)` block: `resets` under `if (rst)`, else `updates`."""
    return (code("always @(posedge clk) begin") + code("if (rst) begin", 2) + code("\n".join(resets), 3)
            + code("end else begin", 2) + code("\n".join(updates), 3) + code("end", 2) + code("end"))


def design(
    family: str,
    params: Params,
    spec: str,
    port_list: tuple[Port, ...],
    body: str,
    *,
    regs: Collection[str] = (),
    stimulus: Mapping[str, float] | None = None,
) -> VerilogDesign:
    """Assemble module `family`; outputs named in `regs` are declared `output reg` in the reference."""
    decls = []
    for port in port_list:
        decl = port.declaration()
        if port.direction == "output" and port.name in regs:
            decl = decl.replace("output", "output reg", 1)
        decls.append(decl)
    header = f"module {family} (\n    " + ",\n    ".join(decls) + "\n);\n"
    return VerilogDesign(
        family=family,
        params=dict(params),
        top=family,
        spec=" ".join(spec.split()),
        ports=port_list,
        reference=header + body.rstrip("\n") + "\nendmodule\n",
        sequential=any(p.name == CLOCK for p in port_list),
        stimulus=dict(stimulus or {}),
    )
