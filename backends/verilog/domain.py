"""The Verilog domain: seed families as tasks, the Icarus/Verilator/Yosys backend, Verilog faults."""

from __future__ import annotations

from backends.domain import Domain, spread
from backends.verilog.design import VerilogDesign
from backends.verilog.execute import execute
from backends.verilog.families import FAMILIES
from backends.verilog.faults import MUTATORS
from backends.verilog.testbench import generate_testbench, reference_module
from schemas.artifacts import Task

NAME = "verilog"
SEED_STAGE = "seed_tasks"


def task_from_design(design: VerilogDesign) -> Task:
    """A task whose harness is the generated testbench plus the renamed golden module."""
    params = {k: str(v) for k, v in design.params.items()}
    return Task(
        stage=SEED_STAGE,
        task_id=Task.make_id(NAME, design.family, params),
        domain=NAME,
        family=design.family,
        params=params,
        instruction=design.spec,
        interface=design.interface(),
        reference=design.reference,
        harness=generate_testbench(design) + "\n" + reference_module(design),
        environment={
            "top": design.top,
            "sequential": str(int(design.sequential)),
            "language": "Verilog-2005",
            "toolchain": "iverilog -g2012 + vvp; verilator --lint-only; yosys synth",
        },
    )


def seed_tasks(per_family: int | None = None) -> list[Task]:
    """Tasks from every family; `per_family` picks that many designs spread evenly over its grid."""
    return [
        task_from_design(family.build(**params))
        for family in FAMILIES.values()
        for params in spread(family.grid, per_family)
    ]


DOMAIN = Domain(
    name=NAME,
    language="verilog",
    execute=execute,
    seed_tasks=seed_tasks,
    mutators=MUTATORS,
    default_per_family=8,  # 18 families x 8 = 144 tasks, ~400 turns in the demo
)
