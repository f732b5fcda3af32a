"""Housings: a shelled box with rounded corners, the same with screw bosses, its lid, a pocketed block."""

from __future__ import annotations

from backends.cad.families._common import num, part
from backends.cad.part import CadPart, Family


def _rounded_box(length: int, width: int, height: int, radius: float) -> str:
    return (f"a box {length} mm along X, {width} mm along Y and {height} mm tall, centred on the origin in X "
            f"and Y with its bottom face on the XY plane (z from 0 to {height}), its four vertical (Z-parallel) "
            f"edges rounded with a {num(radius)} mm radius")  # fmt: skip


def _shell_text(wall: float) -> str:
    return (f"hollowed out with the top face removed: walls and floor {num(wall)} mm thick, the material kept "
            f"inside the original outline (outer dimensions unchanged, inner corners following the outer "
            f"rounding offset inwards)")  # fmt: skip


def _shell_script(length: int, width: int, height: int, radius: float, wall: float) -> str:
    return f"""
            cq.Workplane("XY")
            .box({length}, {width}, {height}, centered=(True, True, False))
            .edges("|Z")
            .fillet({num(radius)})
            .faces(">Z")
            .shell(-{num(wall)})"""


def build_enclosure_box(length: int, width: int, height: int, radius: int, wall: float) -> CadPart:
    description = f"Make an open-top enclosure: {_rounded_box(length, width, height, radius)}, {_shell_text(wall)}."
    script = f"result = ({_shell_script(length, width, height, radius, wall)}\n)"
    params = {"length": length, "width": width, "height": height, "radius": radius, "wall": wall}
    return part("enclosure_box", params, description, script)


def build_enclosure_bosses(length: int, width: int, radius: int, boss: float, pilot: float, rise: int) -> CadPart:
    """The shelled box plus four cylindrical screw bosses on its floor, each with a blind pilot hole."""
    height, wall = 40, 2.5
    inset = wall + boss / 2 + 2
    bx, by = length / 2 - inset, width / 2 - inset
    description = f"""
        Make an open-top enclosure: {_rounded_box(length, width, height, radius)}, {_shell_text(wall)}.
        On the floor stand four cylindrical screw bosses of diameter {num(boss)} mm, axes parallel to Z at
        (x = ±{num(bx)}, y = ±{num(by)}), rising {rise} mm from the floor's top (z from {num(wall)} to
        {num(wall + rise)}). Each boss has a blind pilot hole of diameter {num(pilot)} mm on its axis,
        {rise} mm deep from the boss top, i.e. down to the floor's top at z = {num(wall)} (the floor stays
        closed).
    """
    shell = _shell_script(length, width, height, radius, wall)
    script = f"""
        shell = ({shell}
        )
        bosses = (
            cq.Workplane("XY")
            .workplane(offset={num(wall)})
            .rect({num(2 * bx)}, {num(2 * by)}, forConstruction=True)
            .vertices()
            .circle({num(boss / 2)})
            .extrude({rise})
        )
        pilots = (
            cq.Workplane("XY")
            .workplane(offset={num(wall)})
            .rect({num(2 * bx)}, {num(2 * by)}, forConstruction=True)
            .vertices()
            .circle({num(pilot / 2)})
            .extrude({rise})
        )
        result = (
            shell
            .union(bosses)
            .cut(pilots)
        )
    """
    params = {"length": length, "width": width, "radius": radius, "boss": boss, "pilot": pilot, "rise": rise}
    return part("enclosure_bosses", params, description, script)


def build_enclosure_lid(length: int, width: int, thick: int, radius: int, lip: int) -> CadPart:
    """A flat lid with rounded corners, a rectangular locating lip underneath and four corner screw holes."""
    inset, lip_wall = radius + 3, 2  # the lip clears the screw holes at the rounding centres
    outer = (length - 2 * inset, width - 2 * inset)
    inner = (outer[0] - 2 * lip_wall, outer[1] - 2 * lip_wall)
    hx, hy = length / 2 - radius, width / 2 - radius
    description = f"""
        Make an enclosure lid: a plate {length} mm along X, {width} mm along Y and {thick} mm thick, centred
        on the origin in X and Y with its bottom face on the XY plane (z from 0 to {thick}), its four
        vertical edges rounded with a {radius} mm radius. Under it hangs a locating lip, {lip} mm tall
        (z from -{lip} to 0): a rectangular ring with sharp corners, outer size {outer[0]} x {outer[1]} mm
        and inner size {inner[0]} x {inner[1]} mm (walls {lip_wall} mm), centred on the origin. Four through
        holes of diameter 3.4 mm parallel to Z go through the plate at (x = ±{num(hx)}, y = ±{num(hy)}),
        the centres of the corner roundings.
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .box({length}, {width}, {thick}, centered=(True, True, False))
            .edges("|Z")
            .fillet({radius})
            .faces(">Z")
            .workplane()
            .rect({num(2 * hx)}, {num(2 * hy)}, forConstruction=True)
            .vertices()
            .hole(3.4)
            .faces("<Z")
            .workplane()
            .rect({outer[0]}, {outer[1]})
            .rect({inner[0]}, {inner[1]})
            .extrude({lip})
        )
    """
    params = {"length": length, "width": width, "thick": thick, "radius": radius, "lip": lip}
    return part("enclosure_lid", params, description, script)


def build_pocket_block(length: int, width: int, height: int, pocket: int, depth: int, corner: int) -> CadPart:
    """A block with rounded vertical edges and a blind rectangular pocket with rounded corners in its top."""
    pw = width - (length - pocket)  # the same margin along Y as along X
    description = f"""
        Make {_rounded_box(length, width, height, 6)} (a solid block). Into its top face a blind pocket is
        cut, {depth} mm deep (floor at z = {height - depth}), centred on the Z axis: a {pocket} mm (X) by
        {pw} mm (Y) rectangle whose four corners are rounded with a {corner} mm radius (vertical pocket
        walls, flat floor with sharp edges).
    """
    script = f"""
        result = (
            cq.Workplane("XY")
            .box({length}, {width}, {height}, centered=(True, True, False))
            .edges("|Z")
            .fillet(6)
            .faces(">Z")
            .workplane()
            .sketch()
            .rect({pocket}, {pw})
            .vertices()
            .fillet({corner})
            .finalize()
            .cutBlind(-{depth})
        )
    """
    params = {"length": length, "width": width, "height": height, "pocket": pocket, "depth": depth, "corner": corner}
    return part("pocket_block", params, description, script)


ENCLOSURE_BOX = Family(
    "enclosure_box",
    tuple({"length": L, "width": W, "height": H, "radius": r, "wall": t}
          for (L, W, H) in ((80, 50, 30), (120, 80, 40), (150, 100, 50)) for r in (4, 8) for t in (2, 3)),  # fmt: skip
    build_enclosure_box,
)
ENCLOSURE_BOSSES = Family(
    "enclosure_bosses",
    tuple({"length": L, "width": W, "radius": r, "boss": b, "pilot": p, "rise": h}
          for (L, W) in ((100, 60), (140, 90)) for r in (5, 10) for (b, p) in ((7, 2.5), (9, 3.4))
          for h in (15, 25)),  # fmt: skip
    build_enclosure_bosses,
)
ENCLOSURE_LID = Family(
    "enclosure_lid",
    tuple({"length": L, "width": W, "thick": t, "radius": r, "lip": h}
          for (L, W) in ((80, 50), (120, 80), (150, 100)) for t in (3, 4) for (r, h) in ((5, 4), (8, 6))),  # fmt: skip
    build_enclosure_lid,
)
POCKET_BLOCK = Family(
    "pocket_block",
    tuple({"length": L, "width": W, "height": H, "pocket": p, "depth": d, "corner": c}
          for (L, W, H) in ((80, 60, 30), (120, 90, 40)) for p in (L - 20, L - 30) for d in (10, 20)
          for c in (4, 8) if d < H - 5),  # fmt: skip
    build_pocket_block,
)
