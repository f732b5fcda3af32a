"""CAD seed task families, by name: each `Family` expands its parameter grid into parts."""

from backends.cad.families.brackets import L_BRACKET, PILLOW_BLOCK, U_CHANNEL
from backends.cad.families.enclosures import ENCLOSURE_BOSSES, ENCLOSURE_BOX, ENCLOSURE_LID, POCKET_BLOCK
from backends.cad.families.freeform import BENT_TUBE, LOFT_TRANSITION, TWISTED_LOFT, U_HANDLE
from backends.cad.families.plates import (
    HEAT_SINK,
    PLATE_BOLT_CIRCLE,
    PLATE_COUNTERBORE,
    PLATE_HOLE_GRID,
    PLATE_SLOTS,
)  # fmt: skip
from backends.cad.families.profiles import SPUR_GEAR, STAR_KNOB
from backends.cad.families.rotational import (
    FLANGED_BUSHING,
    HEX_STANDOFF,
    PIPE_FLANGE,
    SHAFT_KEYWAY,
    STEPPED_SHAFT,
    V_PULLEY,
)  # fmt: skip
from backends.cad.part import Family

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        PLATE_HOLE_GRID, PLATE_BOLT_CIRCLE, PLATE_COUNTERBORE, PLATE_SLOTS, HEAT_SINK,
        L_BRACKET, U_CHANNEL, PILLOW_BLOCK,
        ENCLOSURE_BOX, ENCLOSURE_BOSSES, ENCLOSURE_LID, POCKET_BLOCK,
        PIPE_FLANGE, SHAFT_KEYWAY, STEPPED_SHAFT, V_PULLEY, FLANGED_BUSHING, HEX_STANDOFF,
        SPUR_GEAR, STAR_KNOB,
        LOFT_TRANSITION, TWISTED_LOFT, BENT_TUBE, U_HANDLE,
    )
}  # fmt: skip
