"""Lofts and sweeps: a rectangle-to-round transition with a flange, a twisted square loft, a bent tube
and a U handle. Lofts are ruled (straight generators between the sections, as CadQuery's
`loft(ruled=True)` joins them), so the section description fixes the surface."""

from __future__ import annotations

from backends.cad.families._common import grid, num, part
from backends.cad.part import CadPart, Family


def build_loft_transition(length: int, width: int, diameter: int, height: int) -> CadPart:
    """A solid rectangle-to-circle transition standing on a flange plate with four bolt holes."""
    flange = (length + 20, width + 20)
    description = f"""
        Make a solid rectangle-to-round transition: a ruled loft from a {length} x {width} mm rectangle (sides
        along X and Y, centred on the origin) in the plane z = 0 to a circle of diameter {diameter} mm centred
        on the Z axis in the plane z = {height}. Below it, a flange plate {flange[0]} x {flange[1]} mm (centred
        on the origin) from z = -5 to 0, with four through holes of diameter 4.5 mm parallel to Z at
        (x = ±{num(length / 2 + 5)}, y = ±{num(width / 2 + 5)}).
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .rect({length}, {width})
            .workplane(offset={height})
            .circle({num(diameter / 2)})
            .loft(ruled=True)
            .faces("<Z")
            .workplane()
            .rect({flange[0]}, {flange[1]})
            .extrude(5)
            .faces("<Z")
            .workplane()
            .rect({length + 10}, {width + 10}, forConstruction=True)
            .vertices()
            .hole(4.5)
        )
    """
    params = {"length": length, "width": width, "diameter": diameter, "height": height}
    return part("loft_transition", params, description, script)


def build_twisted_loft(side: int, ratio: float, twist: int) -> CadPart:
    """A ruled loft between two squares, the top one smaller and turned, with a blind hole in the top."""
    top, height = side * ratio, side * 1.25
    description = f"""
        Make a twisted tapered block: a ruled loft from a {side} x {side} mm square in the plane z = 0 (sides
        along X and Y, centred on the origin) to a {num(top)} x {num(top)} mm square in the plane
        z = {num(height)}, centred on the Z axis and turned {twist} degrees about it (positive is
        counter-clockwise seen from +Z). The top face has a blind hole of diameter 8 mm and depth 10 mm on the
        Z axis.
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .rect({side}, {side})
            .workplane(offset={num(height)})
            .transformed(rotate=(0, 0, {twist}))
            .rect({num(top)}, {num(top)})
            .loft(ruled=True)
            .faces(">Z")
            .workplane()
            .hole(8, 10)
        )
    """
    return part("twisted_loft", {"side": side, "ratio": ratio, "twist": twist}, description, script)


def build_bent_tube(diameter: int, wall: int, bend: float) -> CadPart:
    """A round tube swept along a path in the XZ plane: up Z, a 90 degree bend towards +X, then along +X."""
    radius = bend * diameter
    rise, run = 40, 50
    description = f"""
        Make a bent tube of outer diameter {diameter} mm and wall {wall} mm (inner diameter {diameter - 2 * wall}
        mm). Its centre line lies in the XZ plane (y = 0): straight from the origin up the Z axis to
        z = {rise}, then a 90 degree bend of centre-line radius {num(radius)} mm (bend centre at
        x = {num(radius)}, z = {rise}) turning towards +X, ending at (x = {num(radius)}, z = {num(rise + radius)}),
        then straight along +X to x = {num(radius + run)}. Both tube ends are cut square to the centre line.
    """
    script = f"""
        path = (
            cq.Workplane("XZ")
            .lineTo(0, {rise})
            .radiusArc(({num(radius)}, {num(rise + radius)}), {num(radius)})
            .lineTo({num(radius + run)}, {num(rise + radius)})
        )
        result = (
            cq.Workplane("XY")
            .circle({num(diameter / 2)})
            .circle({num(diameter / 2 - wall)})
            .sweep(path, transition="round")
        )
    """
    return part("bent_tube", {"diameter": diameter, "wall": wall, "bend": bend}, description, script)


def build_u_handle(rod: int, span: int, height: int) -> CadPart:
    """A round rod swept along a U in the XZ plane: two legs up Z, rounded corners, a straight grip."""
    corner = 15
    description = f"""
        Make a U-shaped handle from round rod of diameter {rod} mm. The rod's centre line lies in the XZ plane
        (y = 0): from the origin straight up to z = {height}, a 90 degree arc of radius {corner} mm (centre
        at x = {corner}, z = {height}) to (x = {corner}, z = {height + corner}), straight along +X to
        x = {span - corner}, a 90 degree arc of radius {corner} mm (centre at x = {span - corner}, z = {height})
        down to (x = {span}, z = {height}), then straight down to (x = {span}, z = 0). Both rod ends are flat,
        in the plane z = 0.
    """
    script = f"""
        path = (
            cq.Workplane("XZ")
            .lineTo(0, {height})
            .radiusArc(({corner}, {height + corner}), {corner})
            .lineTo({span - corner}, {height + corner})
            .radiusArc(({span}, {height}), {corner})
            .lineTo({span}, 0)
        )
        result = (
            cq.Workplane("XY")
            .circle({num(rod / 2)})
            .sweep(path, transition="round")
        )
    """
    return part("u_handle", {"rod": rod, "span": span, "height": height}, description, script)


LOFT_TRANSITION = Family(
    "loft_transition",
    tuple({"length": L, "width": W, "diameter": d, "height": h}
          for (L, W) in ((40, 30), (60, 40), (50, 50)) for d in (20, 26) for h in (40, 60)),  # fmt: skip
    build_loft_transition,
)
TWISTED_LOFT = Family("twisted_loft", grid(side=(40, 60), ratio=(0.5, 0.75), twist=(-30, -15, 20)), build_twisted_loft)
BENT_TUBE = Family("bent_tube", grid(diameter=(16, 25, 32), wall=(2, 3), bend=(1.5, 2.5)), build_bent_tube)
U_HANDLE = Family("u_handle", grid(rod=(8, 10, 12), span=(80, 120), height=(20, 40)), build_u_handle)
