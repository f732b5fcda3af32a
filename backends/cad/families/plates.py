"""Flat stock: plates with hole grids, bolt circles, counterbores and slots, and a finned heat sink.

Every plate lies on the XY plane (bottom face at z = 0) centred on the origin in X and Y, the way a
machinist fixtures it; holes are through holes parallel to Z unless said otherwise.
"""

from __future__ import annotations

from backends.cad.families._common import grid, num, part
from backends.cad.part import CadPart, Family

_PLATE = "a rectangular plate {L} mm along X, {W} mm along Y and {T} mm thick, centred on the origin in X and Y with its bottom face on the XY plane (z from 0 to {T})"  # noqa: E501


def _plate(length: float, width: float, thick: float) -> str:
    return _PLATE.format(L=num(length), W=num(width), T=num(thick))


def _positions(count: int, pitch: float) -> str:
    offsets = [(i - (count - 1) / 2) * pitch for i in range(count)]
    return ", ".join(num(o) for o in offsets)


def build_plate_hole_grid(length: int, width: int, thick: int, nx: int, ny: int, hole: float) -> CadPart:
    """Holes 10 mm in from the plate's edges, `nx` x `ny` of them, evenly spread."""
    px, py = (length - 20) / (nx - 1), (width - 20) / (ny - 1)
    description = f"""
        Make {_plate(length, width, thick)}, with a grid of {nx} x {ny} through holes of diameter
        {num(hole)} mm parallel to Z: hole centres at x in ({_positions(nx, px)}) and y in
        ({_positions(ny, py)}), i.e. a pitch of {num(px)} mm along X and {num(py)} mm along Y, centred on
        the plate.
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .box({length}, {width}, {thick}, centered=(True, True, False))
            .faces(">Z")
            .workplane()
            .rarray({num(px)}, {num(py)}, {nx}, {ny})
            .hole({num(hole)})
        )
    """
    params = {"length": length, "width": width, "thick": thick, "nx": nx, "ny": ny, "hole": hole}
    return part("plate_hole_grid", params, description, script)


def build_plate_bolt_circle(diameter: int, thick: int, count: int) -> CadPart:
    """A round flange plate: centre bore and `count` bolt holes on a circle, the first on +X."""
    bore, pcd = diameter * 0.35, diameter - 25
    hole = {80: 6.6, 100: 9, 125: 11}[diameter]
    description = f"""
        Make a round plate (disc) of diameter {diameter} mm and thickness {thick} mm, its axis the Z axis
        and its bottom face on the XY plane (z from 0 to {thick}). It has a central through bore of
        diameter {num(bore)} mm and {count} through holes of diameter {num(hole)} mm parallel to Z,
        equally spaced on a pitch circle of diameter {num(pcd)} mm centred on the axis, the first hole
        centred on the +X axis at (x = {num(pcd / 2)}, y = 0), the others following every
        {num(360 / count)} degrees counter-clockwise seen from +Z.
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .circle({num(diameter / 2)})
            .extrude({thick})
            .faces(">Z")
            .workplane()
            .hole({num(bore)})
            .faces(">Z")
            .workplane()
            .polarArray({num(pcd / 2)}, 0, 360, {count})
            .hole({num(hole)})
        )
    """
    return part("plate_bolt_circle", {"diameter": diameter, "thick": thick, "count": count}, description, script)


_CBORE = {"M4": (4.5, 8, 4.4), "M5": (5.5, 10, 5.4), "M6": (6.6, 11, 6.5)}


def build_plate_counterbore(length: int, width: int, thick: int, screw: str) -> CadPart:
    """Four counterbored holes for socket-head screws, 10 mm in from both edges; rounded corners."""
    hole, cbore, depth = _CBORE[screw]
    description = f"""
        Make {_plate(length, width, thick)}, its four vertical (Z-parallel) edges rounded with a 5 mm
        radius. Near each corner, 10 mm in from both adjacent edges (centres at x = ±{num(length / 2 - 10)},
        y = ±{num(width / 2 - 10)}), there is a counterbored through hole for an {screw} screw: a hole of
        diameter {num(hole)} mm, counterbored from the top face (z = {thick}) to diameter {num(cbore)} mm
        and depth {num(depth)} mm (flat-bottomed counterbore from z = {num(thick - depth)} to {thick}).
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .box({length}, {width}, {thick}, centered=(True, True, False))
            .edges("|Z")
            .fillet(5)
            .faces(">Z")
            .workplane()
            .rect({length - 20}, {width - 20}, forConstruction=True)
            .vertices()
            .cboreHole({num(hole)}, {num(cbore)}, {num(depth)})
        )
    """
    params = {"length": length, "width": width, "thick": thick, "screw": screw}
    return part("plate_counterbore", params, description, script)


def build_plate_slots(length: int, width: int, thick: int, count: int, slot: int, slot_width: int) -> CadPart:
    """`count` obround through slots running along Y, 25 mm apart along X."""
    description = f"""
        Make {_plate(length, width, thick)}, with {count} obround (stadium-shaped) through slot(s) parallel
        to Z. Each slot runs along Y, is {slot} mm long overall (end to end, including the two semicircular
        ends) and {slot_width} mm wide, and is centred at y = 0; the slot centres lie at x in
        ({_positions(count, 25)}).
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .box({length}, {width}, {thick}, centered=(True, True, False))
            .faces(">Z")
            .workplane()
            .rarray(25, 1, {count}, 1)
            .slot2D({slot}, {slot_width}, 90)
            .cutThruAll()
        )
    """
    params = {"length": length, "width": width, "thick": thick, "count": count, "slot": slot,
              "slot_width": slot_width}  # fmt: skip
    return part("plate_slots", params, description, script)


def build_heat_sink(length: int, width: int, base: int, fins: int, fin: float, height: int) -> CadPart:
    """A base plate with `fins` straight fins along Y spread over its length, and four mounting holes."""
    pitch = (length - fin) / (fins - 1)
    description = f"""
        Make a heat sink: a base plate {length} mm along X, {width} mm along Y and {base} mm thick,
        centred on the origin in X and Y with its bottom face on the XY plane (z from 0 to {base}), with
        {fins} straight fins standing on its top face. Each fin is {num(fin)} mm thick along X, runs the
        full {width} mm along Y and rises {height} mm above the base (z from {base} to {base + height});
        the fins are centred at x in ({_positions(fins, pitch)}) (pitch {num(pitch)} mm, the outer fins
        flush with the plate's ends). Four mounting holes of diameter 3.4 mm, parallel to Z, go through
        the base between the middle fin and its neighbours, centred at x = ±{num(pitch / 2)} and
        y = ±{num(width / 2 - 6)}.
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .box({length}, {width}, {base}, centered=(True, True, False))
            .faces(">Z")
            .workplane()
            .rarray({num(pitch)}, 1, {fins}, 1)
            .rect({num(fin)}, {width})
            .extrude({height})
            .faces("<Z")
            .workplane()
            .rect({num(pitch)}, {num(width - 12)}, forConstruction=True)
            .vertices()
            .hole(3.4)
        )
    """
    params = {"length": length, "width": width, "base": base, "fins": fins, "fin": fin, "height": height}
    return part("heat_sink", params, description, script)


PLATE_HOLE_GRID = Family(
    "plate_hole_grid",
    tuple({"length": L, "width": W, "thick": T, "nx": nx, "ny": ny, "hole": d}
          for (L, W, T) in ((80, 60, 6), (120, 80, 8), (160, 100, 10))
          for (nx, ny) in ((2, 2), (3, 2), (5, 3)) for d in (5.5, 9)),  # fmt: skip
    build_plate_hole_grid,
)
PLATE_BOLT_CIRCLE = Family(
    "plate_bolt_circle", grid(diameter=(80, 100, 125), thick=(8, 12), count=(3, 4, 6)), build_plate_bolt_circle
)
PLATE_COUNTERBORE = Family(
    "plate_counterbore",
    tuple({"length": L, "width": W, "thick": T, "screw": s}
          for (L, W) in ((80, 60), (100, 70), (120, 90)) for T in (10, 14) for s in _CBORE),  # fmt: skip
    build_plate_counterbore,
)
PLATE_SLOTS = Family(
    "plate_slots",
    tuple({"length": L, "width": W, "thick": T, "count": n, "slot": s, "slot_width": w}
          for (L, W, T) in ((100, 60, 6), (140, 80, 8)) for n in (1, 2, 3)
          for (s, w) in ((30, 6), (40, 8), (36, 10))),  # fmt: skip
    build_plate_slots,
)
HEAT_SINK = Family(
    "heat_sink",
    tuple({"length": L, "width": W, "base": b, "fins": n, "fin": f, "height": h}
          for (L, W, b) in ((60, 50, 5), (80, 60, 6)) for n in (5, 7) for f in (1.5, 2.5) for h in (15, 25)
          if not (n == 7 and L == 60 and f == 2.5)),  # fmt: skip
    build_heat_sink,
)
