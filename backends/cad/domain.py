"""The CAD domain: CadQuery seed parts as tasks, the sandboxed CadQuery/OpenCascade backend, CAD faults."""

from __future__ import annotations

import json
from importlib.metadata import version

from backends.cad.execute import execute
from backends.cad.families import FAMILIES
from backends.cad.faults import MUTATORS
from backends.cad.part import CadPart
from backends.domain import Domain, spread
from schemas.artifacts import Task

NAME = "cad"
SEED_STAGE = "seed_tasks"
# Equal solids meet 1 - 1e-9; the threshold only absorbs floating point and tolerance-level
# differences between equivalent constructions. Local faults too small for IoU (a missing 3 mm hole
# in a big plate) are the Hausdorff check's (see measure.py).
IOU_MIN = 0.999
INTERFACE = """import cadquery as cq

# Build the part described in the task; units are millimetres, global axes.
result = ...  # the finished part: a cq.Workplane (or cq.Shape) holding one closed, valid solid
"""


def harness(part: CadPart) -> str:
    """The verification: the reference is the golden script's solid, compared by IoU and Hausdorff distance."""
    return json.dumps({"reference": "golden script (task.reference), run in the same sandboxed harness",
                       "iou_min": IOU_MIN, "hausdorff": "<= (sample spacing + 2 x mesh deflection) x 1.1",
                       "solids": "same count as the reference"})  # fmt: skip


def task_from_part(part: CadPart) -> Task:
    params = {k: str(v) for k, v in part.params.items()}
    instruction = (f"{part.description} Write a CadQuery script that builds this part and assigns it to a "
                   f"variable named `result`.")  # fmt: skip
    return Task(
        stage=SEED_STAGE,
        task_id=Task.make_id(NAME, part.family, params),
        domain=NAME,
        family=part.family,
        params=params,
        instruction=instruction,
        interface=INTERFACE,
        reference=part.script,
        harness=harness(part),
        environment={
            "language": "Python 3.11",
            "toolchain": f"CadQuery {version('cadquery')} (OCP {version('cadquery-ocp')}, OpenCascade)",
            "units": "mm",
            "result": "result",
            "check": f"in place against the reference solid: volumetric IoU >= {IOU_MIN} and Hausdorff "
                     "distance within the sampling tolerance; exported as STEP and STL",
        },  # fmt: skip
    )


def seed_tasks(per_family: int | None = None) -> list[Task]:
    """Tasks from every family; `per_family` picks that many parts spread evenly over its grid."""
    return [
        task_from_part(family.build(**params))
        for family in FAMILIES.values()
        for params in spread(family.grid, per_family)
    ]


# One part per family, the least a run can take: verifying a part (golden + 5 mutants) costs ~7 CPU-s on
# warm servers (~1.2 s a run, ~60% of it the comparison), and the ECoT turns (~2.7 per part) ~3 more.
# The demo's CAD share measured 4m31 (seed tasks) + 2m20 (ECoT) on 2 cores at load 6-8 from other
# work; on an idle machine ~190 runs x 1.2 CPU-s / 2 cores + flow start-up is about 3 minutes.
DOMAIN = Domain(
    name=NAME, language="python", execute=execute, seed_tasks=seed_tasks, mutators=MUTATORS, default_per_family=1
)
