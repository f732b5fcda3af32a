"""Patterned outlines extruded along Z: a gear-like wheel (straight teeth on a root disc) and a star knob."""

from __future__ import annotations

import math

from backends.cad.families._common import grid, num, part
from backends.cad.part import CadPart, Family


def build_spur_gear(teeth: int, module: float) -> CadPart:
    """Rectangular teeth (half a circular pitch wide) on a root disc, addendum/dedendum as for a spur gear."""
    root, tip = module * (teeth / 2 - 1.25), module * (teeth / 2 + 1)
    tooth_w, thick, bore = module * 3.14159 / 2, 8 + 2 * module, round(module * teeth * 0.3)
    overlap = 0.5  # the teeth reach 0.5 mm into the root disc, so the union is one solid
    centre, tooth_l = (root - overlap + tip) / 2, tip - root + overlap
    description = f"""
        Make a gear-like wheel {num(thick)} mm thick along Z (z from 0 to {num(thick)}), centred on the Z
        axis: a root disc of diameter {num(2 * root)} mm with {teeth} straight-sided rectangular teeth
        around it. Each tooth is {num(tooth_w)} mm wide (tangentially) and reaches from radius
        {num(root - overlap)} (inside the disc) out to radius {num(tip)} mm, symmetric about its radial
        centre line; the first tooth's centre line is the +X axis and the others follow every
        {num(360 / teeth)} degrees. A through bore of diameter {bore} mm runs along the Z axis.
    """
    script = f"""
        teeth = (
            cq.Workplane("XY")
            .polarArray({num(centre)}, 0, 360, {teeth})
            .rect({num(tooth_l)}, {num(tooth_w)})
            .extrude({num(thick)})
        )
        result = (
            cq.Workplane("XY")
            .circle({num(root)})
            .extrude({num(thick)})
            .union(teeth)
            .faces(">Z")
            .workplane()
            .hole({bore})
        )
    """
    return part("spur_gear", {"teeth": teeth, "module": module}, description, script)


def build_star_knob(lobes: int, radius: int, height: int) -> CadPart:
    """A core cylinder with round lobes on its rim, the concave junctions rounded, a bore through."""
    lobe = round(radius * math.sin(math.pi / lobes) * 0.8, 1)  # neighbouring lobes stay apart
    description = f"""
        Make a star knob {height} mm tall along Z (z from 0 to {height}) centred on the Z axis: a core
        cylinder of diameter {2 * radius} mm plus {lobes} cylindrical lobes of diameter {num(2 * lobe)} mm,
        each lobe's axis parallel to Z on a circle of radius {radius} mm, the first lobe centred on the +X
        axis (x = {radius}, y = 0) and the others every {num(360 / lobes)} degrees. The vertical (Z-parallel)
        edges where the lobes meet the core are rounded with a 1.5 mm radius; the top and bottom edges stay
        sharp. A through bore of diameter 6 mm runs along the axis.
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .circle({radius})
            .extrude({height})
            .faces(">Z")
            .workplane()
            .polarArray({radius}, 0, 360, {lobes})
            .circle({num(lobe)})
            .extrude(-{height})
            .edges("|Z")
            .fillet(1.5)
            .faces(">Z")
            .workplane()
            .hole(6)
        )
    """
    return part("star_knob", {"lobes": lobes, "radius": radius, "height": height}, description, script)


SPUR_GEAR = Family("spur_gear", grid(teeth=(12, 18, 24, 30), module=(1.5, 2, 2.5)), build_spur_gear)
STAR_KNOB = Family("star_knob", grid(lobes=(4, 5, 6), radius=(15, 20), height=(12, 18)), build_star_knob)
