"""What the Verilog benchmark importers share: the task they build and how a testbench reports."""

from __future__ import annotations

from backends.verilog.testbench import RESULT_PREFIX
from schemas.artifacts import Task
from synthesis.drafts.verilog import DEPENDENCIES, PLATFORM, interface_text
from synthesis.importers import STAGE
from synthesis.requirement import Requirement
from synthesis.verilog_source import parse_modules


def verilog_task(benchmark: str, problem: str, top: str, spec: str, reference: str, harness: str,
                 verification: str) -> Task:
    """A Verilog task in the normalized instruction format; `reference` defines `top`."""
    module = next((m for m in parse_modules(reference) if m.name == top), None)
    if module is None:
        raise ValueError(f"{benchmark} {problem}: the reference defines no module {top}")
    ports = ", ".join(p.declaration() for p in module.ports)
    requirement = Requirement(" ".join(spec.split()), f"module {top} with exactly these ports: {ports}.", PLATFORM,
                              DEPENDENCIES, verification)  # fmt: skip
    params = {"benchmark": benchmark, "problem": problem}
    return Task(
        stage=STAGE, parent_ids=[f"{benchmark}:{problem}"], task_id=Task.make_id("verilog", benchmark, params),
        domain="verilog", family=benchmark, params=params, instruction=requirement.render(),
        interface=interface_text(top, module.ports), reference=reference, harness=harness,
        environment={"top": top, "sequential": str(int(module.clock is not None)), "language": "Verilog-2005",
                     "toolchain": "iverilog -g2012 + vvp; verilator --lint-only; yosys synth", "benchmark": benchmark},
    )  # fmt: skip


def result_line(mismatches: str, cycles: str) -> str:
    """The statement that prints the line the Verilog backend reads."""
    return f'$display("{RESULT_PREFIX} mismatches=%0d cycles=%0d", {mismatches}, {cycles});'
