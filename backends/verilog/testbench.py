"""Self-checking testbench generated from a design's port list.

The candidate (`<top>`) and the golden reference (renamed `<top>_ref`) are driven with the same
seeded random stimulus and compared with `!==` every cycle, so X or Z where the reference has a value
(a missing reset, an undriven output) counts as a mismatch. Sequential designs get a clock, reset for
the first two cycles and once more mid-run (reset bugs hide otherwise); inputs change on the falling
edge and outputs are compared on the next falling edge, half a period after the rising edge, so both
combinational and registered outputs have settled.
"""

from __future__ import annotations

import re

from backends.verilog.design import CLOCK, RESET, Port, VerilogDesign

REFERENCE_SUFFIX = "_ref"
RESULT_PREFIX = "TB_RESULT"
MISMATCH_PREFIX = "MISMATCH"
MAX_REPORTED_MISMATCHES = 8


def reference_module(design: VerilogDesign) -> str:
    """The golden source with its module renamed so it can sit beside the candidate."""
    renamed, count = re.subn(
        rf"\bmodule\s+{re.escape(design.top)}\b", f"module {design.top}{REFERENCE_SUFFIX}", design.reference
    )
    if count != 1:
        raise ValueError(f"reference of {design.family} {design.params} must define module {design.top} exactly once")
    return renamed


def _random_expr(port: Port, bias: float | None) -> str:
    """A seeded random value for `port`; 1-bit inputs with a bias are 1 with that probability."""
    if bias is not None:
        return f"(($random(seed) & 1023) < {int(bias * 1024)})"
    words = (port.width + 31) // 32
    return "{" + ", ".join(["$random(seed)"] * words) + "}" if words > 1 else "$random(seed)"


def generate_testbench(design: VerilogDesign, cycles: int = 200, seed: int = 1) -> str:
    """Verilog source of module `tb`; it prints one `TB_RESULT mismatches=N cycles=M` line, then $finish."""
    driven = [p for p in design.inputs if p.name not in (CLOCK, RESET)]
    decls = [f"reg [{p.width - 1}:0] {p.name};" for p in driven]
    decls += [f"wire [{p.width - 1}:0] dut_{p.name}, ref_{p.name};" for p in design.outputs]
    if design.sequential:
        decls.append(f"reg {CLOCK} = 1'b0;")
        decls.append(f"reg {RESET} = 1'b1;")

    def connections(prefix: str) -> str:
        conns = [f".{p.name}({p.name})" for p in design.inputs]
        conns += [f".{p.name}({prefix}_{p.name})" for p in design.outputs]
        return ", ".join(conns)

    drive = [f"{p.name} = {_random_expr(p, design.stimulus.get(p.name))};" for p in driven]
    checks = []
    for p in design.outputs:
        checks.append(
            f"if (dut_{p.name} !== ref_{p.name}) begin mismatches = mismatches + 1; "
            f"if (mismatches <= {MAX_REPORTED_MISMATCHES}) $display(\"{MISMATCH_PREFIX} cycle=%0d {p.name}: "
            f"got %h expected %h\", cycle, dut_{p.name}, ref_{p.name}); end"
        )
    if design.sequential:
        step = f"@(negedge {CLOCK});"
        reset = f"{RESET} = (cycle < 2) || (cycle == {cycles // 2});"
    else:
        step = "#10;"
        reset = ""
    nl = "\n        "
    return f"""`timescale 1ns/1ps
module tb;
    {(chr(10) + '    ').join(decls)}
    integer mismatches = 0;
    integer cycle;
    integer seed = {seed};
    {design.top} dut ({connections('dut')});
    {design.top}{REFERENCE_SUFFIX} golden ({connections('ref')});
    {f'always #5 {CLOCK} = ~{CLOCK};' if design.sequential else ''}
    initial begin
        {nl.join(drive)}
        for (cycle = 0; cycle < {cycles}; cycle = cycle + 1) begin
            {step}
            if (cycle >= 1) begin
                {nl.join(checks)}
            end
            {reset}
            {nl.join(drive)}
        end
        $display("{RESULT_PREFIX} mismatches=%0d cycles=%0d", mismatches, {cycles});
        $finish;
    end
endmodule
"""
