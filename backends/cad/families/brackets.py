"""Bent and extruded sections: an L bracket, a U channel and a pillow block (bearing housing)."""

from __future__ import annotations

from backends.cad.families._common import grid, num, part, pts
from backends.cad.part import CadPart, Family


def build_l_bracket(leg: int, height: int, width: int, thick: int) -> CadPart:
    """An L profile in the XZ plane extruded along +Y, one 6.6 mm hole centred in each leg."""
    profile = [(0, 0), (leg, 0), (leg, thick), (thick, thick), (thick, height), (0, height)]
    base_x, wall_z = (leg + thick) / 2, (height + thick) / 2
    description = f"""
        Make an L bracket of constant thickness {thick} mm. Its cross-section lies in the XZ plane: a
        horizontal leg from x = 0 to {leg} (z from 0 to {thick}) and a vertical leg from z = 0 to {height}
        (x from 0 to {thick}), the outer corner at the origin; the section is extruded {width} mm along
        +Y (y from 0 to {width}). The horizontal leg has a through hole of diameter 6.6 mm parallel to Z
        centred at (x = {num(base_x)}, y = {num(width / 2)}); the vertical leg has a through hole of
        diameter 6.6 mm parallel to X centred at (y = {num(width / 2)}, z = {num(wall_z)}).
    """
    script = f"""
        body = (
            cq.Workplane("XZ")
            .polyline({pts(profile)})
            .close()
            .extrude(-{width})
        )
        base_hole = (
            cq.Workplane("XY")
            .workplane(offset=-1)
            .center({num(base_x)}, {num(width / 2)})
            .circle(3.3)
            .extrude({thick + 2})
        )
        wall_hole = (
            cq.Workplane("YZ")
            .workplane(offset=-1)
            .center({num(width / 2)}, {num(wall_z)})
            .circle(3.3)
            .extrude({thick + 2})
        )
        result = (
            body
            .cut(base_hole)
            .cut(wall_hole)
        )
    """
    params = {"leg": leg, "height": height, "width": width, "thick": thick}
    return part("l_bracket", params, description, script)


def build_u_channel(breadth: int, height: int, thick: int, length: int, holes: int) -> CadPart:
    """A U section in the YZ plane extruded along +X, with `holes` 6.6 mm holes in its base, 60 mm apart."""
    b, t = breadth / 2, thick
    profile = [(-b, 0), (b, 0), (b, height), (b - t, height), (b - t, t), (-b + t, t), (-b + t, height),
               (-b, height)]  # fmt: skip
    description = f"""
        Make a U channel {length} mm long along X (x from 0 to {length}). Its cross-section in the YZ plane
        is a U opening upwards: overall {breadth} mm wide along Y (y from -{num(b)} to {num(b)}) and
        {height} mm tall along Z (z from 0 to {height}), with a base and two side walls all {thick} mm
        thick (the base from z = 0 to {thick}, the walls at |y| from {num(b - t)} to {num(b)}). The base
        has {holes} through holes of diameter 6.6 mm parallel to Z, centred at y = 0 and at x in
        ({", ".join(num(length / 2 + (i - (holes - 1) / 2) * 60) for i in range(holes))}).
    """
    script = f"""
        result = (
            cq.Workplane("YZ")
            .polyline({pts(profile)})
            .close()
            .extrude({length})
            .faces("<Z")
            .workplane(centerOption="CenterOfBoundBox")
            .rarray(60, 1, {holes}, 1)
            .hole(6.6)
        )
    """
    params = {"breadth": breadth, "height": height, "thick": thick, "length": length, "holes": holes}
    return part("u_channel", params, description, script)


def build_pillow_block(length: int, depth: int, base: int, radius: int, centre: int) -> CadPart:
    """A base plate, a pedestal rounded over the top by a cylinder along Y, a bore, two mounting holes."""
    bore, spacing = radius + 4, length - 24
    description = f"""
        Make a pillow block (bearing housing). The base is a plate {length} mm along X, {depth} mm along Y
        and {base} mm thick, centred on the origin in X and Y, bottom face on the XY plane (z from 0 to
        {base}). On it stands a pedestal {2 * radius} mm wide along X (x from -{radius} to {radius}), the
        full {depth} mm deep along Y, from z = {base} up to z = {centre}, capped by a cylinder of radius
        {radius} mm whose axis runs along Y through (x = 0, z = {centre}), also {depth} mm long (y from
        -{num(depth / 2)} to {num(depth / 2)}). A through bore of diameter {bore} mm runs along Y on that
        same axis. Two mounting holes of diameter 9 mm parallel to Z go through the base at
        (x = ±{num(spacing / 2)}, y = 0).
    """
    script = f"""
        housing = (
            cq.Workplane("XZ")
            .center(0, {centre})
            .circle({radius})
            .extrude({num(depth / 2)}, both=True)
        )
        bore = (
            cq.Workplane("XZ")
            .center(0, {centre})
            .circle({num(bore / 2)})
            .extrude({num(depth / 2)}, both=True)
        )
        result = (
            cq.Workplane("XY")
            .box({length}, {depth}, {base}, centered=(True, True, False))
            .faces(">Z")
            .workplane()
            .rect({2 * radius}, {depth})
            .extrude({centre - base})
            .union(housing)
            .cut(bore)
            .faces("<Z")
            .workplane()
            .pushPoints([(-{num(spacing / 2)}, 0), ({num(spacing / 2)}, 0)])
            .hole(9)
        )
    """
    params = {"length": length, "depth": depth, "base": base, "radius": radius, "centre": centre}
    return part("pillow_block", params, description, script)


L_BRACKET = Family("l_bracket", grid(leg=(50, 70), height=(40, 60), width=(25, 40), thick=(4, 6)), build_l_bracket)
U_CHANNEL = Family(
    "u_channel",
    tuple({"breadth": b, "height": h, "thick": t, "length": L, "holes": n}
          for (b, h) in ((40, 30), (60, 40), (80, 50)) for t in (3, 5) for (L, n) in ((120, 2), (200, 3))),  # fmt: skip
    build_u_channel,
)
PILLOW_BLOCK = Family(
    "pillow_block",
    tuple({"length": L, "depth": d, "base": b, "radius": r, "centre": c}
          for (L, d, b) in ((100, 30, 10), (130, 40, 12)) for r in (16, 20, 24) for c in (30, 40)),  # fmt: skip
    build_pillow_block,
)
