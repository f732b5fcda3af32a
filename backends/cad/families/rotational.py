"""Turned parts, all with the Z axis as their axis: flange, keyed shaft, stepped shaft (revolved),
V-belt pulley (revolved), flanged bushing with an oil hole, and a hexagonal standoff."""

from __future__ import annotations

import math

from backends.cad.families._common import grid, num, part, pts
from backends.cad.part import CadPart, Family

_BOLT = {100: 11, 120: 14, 150: 18}
# Shaft diameter -> keyway width and shaft-side depth (DIN 6885 A, rounded).
_KEYWAY = {20: (6, 3.5), 25: (8, 4), 30: (8, 4), 40: (12, 5)}


def build_pipe_flange(diameter: int, thick: int, bolts: int) -> CadPart:
    """A disc with a raised hub on top (chamfered), a bore through both, and a bolt circle."""
    hub, hole = diameter // 2, _BOLT[diameter]
    bore, pcd = hub - 16, (diameter + hub) / 2
    description = f"""
        Make a pipe flange with the Z axis as its axis: a disc of diameter {diameter} mm from z = 0 to
        {thick}, and on top of it a cylindrical hub of diameter {hub} mm from z = {thick} to {2 * thick},
        whose top outer edge is chamfered 1.5 mm x 45 degrees. A through bore of diameter {bore} mm runs
        along the axis. {bolts} through holes of diameter {hole} mm parallel to Z go through the disc on a
        pitch circle of diameter {num(pcd)} mm, the first centred on the +X axis (x = {num(pcd / 2)}, y = 0)
        and the others every {num(360 / bolts)} degrees around the axis.
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .circle({num(diameter / 2)})
            .extrude({thick})
            .faces(">Z")
            .workplane()
            .circle({num(hub / 2)})
            .extrude({thick})
            .faces(">Z")
            .chamfer(1.5)
            .faces(">Z")
            .workplane()
            .hole({bore})
            .faces("<Z")
            .workplane()
            .polarArray({num(pcd / 2)}, 0, 360, {bolts})
            .hole({hole})
        )
    """
    return part("pipe_flange", {"diameter": diameter, "thick": thick, "bolts": bolts}, description, script)


def build_shaft_keyway(diameter: int, length: int, key: int) -> CadPart:
    """A chamfered shaft along Z with an end-milled keyseat (rounded ends) on its +X side."""
    width, depth = _KEYWAY[diameter]
    start = 10
    description = f"""
        Make a shaft: a cylinder of diameter {diameter} mm along the Z axis from z = 0 to {length}, both end
        edges chamfered 1 mm x 45 degrees. On its +X side there is a keyseat as an end mill cuts it: a slot
        {width} mm wide (y from -{num(width / 2)} to {num(width / 2)}) with semicircular ends, {key} mm long
        overall along Z (from z = {start} to {start + key}), cut {num(depth)} mm deep from the top of the
        shaft, i.e. its flat floor lies in the plane x = {num(diameter / 2 - depth)}.
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .circle({num(diameter / 2)})
            .extrude({length})
            .faces(">Z")
            .chamfer(1)
            .faces("<Z")
            .chamfer(1)
            .copyWorkplane(cq.Workplane("YZ", origin=({num(diameter / 2)}, 0, 0)))
            .center(0, {num(start + key / 2)})
            .slot2D({key}, {width}, 90)
            .cutBlind(-{num(depth)})
        )
    """
    return part("shaft_keyway", {"diameter": diameter, "length": length, "key": key}, description, script)


def build_stepped_shaft(diameter: int, layout: str, scale: float) -> CadPart:
    """A revolved stepped profile (steps listed from z = 0 up) with a blind centre hole in the top end."""
    layouts = {
        "collar": [(diameter - 10, 30), (diameter, 20), (diameter - 10, 40)],
        "stepped": [(diameter - 14, 25), (diameter - 6, 35), (diameter, 15), (diameter - 6, 45)],
    }
    steps = layouts[layout]
    profile, z = [(0.0, 0.0)], 0.0
    for d, length in steps:
        profile += [(d / 2, z), (d / 2, z + length * scale)]
        z += length * scale
    profile.append((0.0, z))
    listed = ", ".join(f"diameter {d} mm for {num(length * scale)} mm" for d, length in steps)
    description = f"""
        Make a stepped shaft as a solid of revolution about the Z axis, starting at z = 0 and made of
        cylindrical steps, from the bottom up: {listed} (total length {num(z)} mm, sharp step edges). The top
        end face (z = {num(z)}) has a blind centre hole of diameter 5 mm and depth 12 mm on the axis (flat
        bottom at z = {num(z - 12)}).
    """
    script = f"""
        result = (
            cq.Workplane("XZ")
            .polyline({pts(profile)})
            .close()
            .revolve(360, (0, 0, 0), (0, 1, 0))
            .faces(">Z")
            .workplane()
            .hole(5, 12)
        )
    """
    return part("stepped_shaft", {"diameter": diameter, "layout": layout, "scale": scale}, description, script)


def build_v_pulley(diameter: int, width: int, groove: int) -> CadPart:
    """A revolved V-belt pulley with a 40 degree groove centred in its width, chamfered, with a keyed bore."""
    r, bore = diameter / 2, round(diameter * 0.2)
    top = 2 * groove * math.tan(math.radians(20)) + 4  # groove width at the rim: flanks at 20 deg, 4 mm flat floor
    zc, key, key_depth = width / 2, 4, 1.8
    profile = [(bore / 2, 0), (r, 0), (r, zc - top / 2), (r - groove, zc - 2), (r - groove, zc + 2), (r, zc + top / 2),
               (r, width), (bore / 2, width)]  # fmt: skip
    reach = bore / 2 + key_depth
    description = f"""
        Make a V-belt pulley as a solid of revolution about the Z axis, from z = 0 to {width}. Its
        half-section in the XZ plane (x being the radius) is the polygon through the points (x, z)
        {pts(profile)}: a rim of diameter {diameter} mm with a V groove {groove} mm deep centred at
        z = {num(zc)} (flanks at 20 degrees to the radial direction, a 4 mm wide flat floor), and a through
        bore of diameter {bore} mm. The circular edges of both end faces (rim and bore) are chamfered
        0.5 mm x 45 degrees. The bore has a keyway on its +X side, {key} mm wide (y from -{num(key / 2)} to
        {num(key / 2)}) over the full width, its flat bottom in the plane x = {num(reach)}.
    """
    script = f"""
        keyway = (
            cq.Workplane("XY")
            .center({num(reach / 2)}, 0)
            .rect({num(reach)}, {key})
            .extrude({width})
        )
        result = (
            cq.Workplane("XZ")
            .polyline({pts(profile)})
            .close()
            .revolve(360, (0, 0, 0), (0, 1, 0))
            .faces(">Z")
            .chamfer(0.5)
            .faces("<Z")
            .chamfer(0.5)
            .cut(keyway)
        )
    """
    return part("v_pulley", {"diameter": diameter, "width": width, "groove": groove}, description, script)


def build_flanged_bushing(bore: int, wall: int, length: int) -> CadPart:
    """A flanged sleeve built from two extruded rings, with a radial oil hole through the sleeve's +X wall."""
    outer, flange, flange_t = bore + 2 * wall, bore + 6 * wall, wall + 1
    oil_z = (flange_t + length) / 2
    description = f"""
        Make a flanged bushing with the Z axis as its axis and a through bore of diameter {bore} mm: a flange
        of diameter {flange} mm from z = 0 to {flange_t}, then a sleeve of outer diameter {outer} mm from
        z = {flange_t} to {length}. A radial oil hole of diameter 3 mm along the X axis goes through the
        sleeve's wall on the +X side only (from the bore out), centred at z = {num(oil_z)}, y = 0.
    """
    script = f"""
        oil_hole = (
            cq.Workplane("YZ")
            .center(0, {num(oil_z)})
            .circle(1.5)
            .extrude({num(outer / 2 + 1)})
        )
        result = (
            cq.Workplane("XY")
            .circle({num(flange / 2)})
            .circle({num(bore / 2)})
            .extrude({flange_t})
            .faces(">Z")
            .workplane()
            .circle({num(outer / 2)})
            .circle({num(bore / 2)})
            .extrude({length - flange_t})
            .cut(oil_hole)
        )
    """
    return part("flanged_bushing", {"bore": bore, "wall": wall, "length": length}, description, script)


_HEX = {"M3": (5.5, 2.5), "M4": (7, 3.3), "M5": (8, 4.2), "M6": (10, 5)}


def build_hex_standoff(thread: str, height: int) -> CadPart:
    """A hexagonal prism along Z with a through core hole chamfered at both ends."""
    flats, core = _HEX[thread]
    corners = flats / math.cos(math.radians(30))
    description = f"""
        Make an {thread} hexagonal standoff: a regular hexagonal prism along the Z axis from z = 0 to {height},
        {num(flats)} mm across the flats ({num(corners)} mm across the corners), with two of its corners on
        the X axis (at x = ±{num(corners / 2)}). A through core hole of diameter {num(core)} mm runs along the
        axis; its edges at both end faces are chamfered 0.5 mm x 45 degrees.
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .polygon(6, {num(corners)})
            .extrude({height})
            .faces(">Z")
            .workplane()
            .hole({num(core)})
            .faces(">Z")
            .edges("%CIRCLE")
            .chamfer(0.5)
            .faces("<Z")
            .edges("%CIRCLE")
            .chamfer(0.5)
        )
    """
    return part("hex_standoff", {"thread": thread, "height": height}, description, script)


PIPE_FLANGE = Family("pipe_flange", grid(diameter=(100, 120, 150), thick=(12, 16), bolts=(4, 8)), build_pipe_flange)
SHAFT_KEYWAY = Family("shaft_keyway", grid(diameter=(20, 25, 30, 40), length=(70, 100), key=(25, 40)),
                      build_shaft_keyway)  # fmt: skip
STEPPED_SHAFT = Family(
    "stepped_shaft", grid(diameter=(30, 40, 50), layout=("collar", "stepped"), scale=(1, 1.5)), build_stepped_shaft
)
V_PULLEY = Family("v_pulley", grid(diameter=(60, 80, 100), width=(16, 20), groove=(8, 10)), build_v_pulley)
FLANGED_BUSHING = Family("flanged_bushing", grid(bore=(10, 16, 20), wall=(3, 4), length=(20, 30)),
                         build_flanged_bushing)  # fmt: skip
HEX_STANDOFF = Family("hex_standoff", grid(thread=tuple(_HEX), height=(10, 20, 30)), build_hex_standoff)
