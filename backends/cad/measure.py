"""Geometry the CAD harness measures inside the sandbox: validity, mass properties, and the
fidelity of a candidate solid against the reference solid.

Runs under the sandbox's interpreter next to `runner.py`, so it imports only CadQuery/OCP, numpy
and scipy, never the project.

Fidelity, both in place (no re-alignment: position and orientation are part of the spec):
- volumetric IoU from exact B-rep booleans: |C n R| / (|C| + |R| - |C n R|), volumes by OCC's
  Gauss integration. Equal geometry gives 1 to ~1e-9, so the threshold only has to absorb
  floating point; but a missing 3 mm hole in a 100 mm plate moves IoU by less than 1e-3.
- point-sampled Chamfer (mean nearest-point distance, both ways, averaged) and Hausdorff (the
  largest) distances between the two surfaces, which see such local features (the hole's wall
  lies mm away from any candidate surface). Both surfaces are meshed with the same absolute
  deflection `d` and sampled on a grid of spacing at most `s` over every triangle, so any point of
  one mesh lies within `s` of a sample (a grid cell's half diagonal) and identical surfaces measure
  at most `s + 2d` apart: that, with 10% slack, is the Hausdorff tolerance.
"""

from __future__ import annotations

import os
from collections import Counter

import cadquery as cq
import numpy as np
from OCP.BRep import BRep_Tool
from OCP.BRepCheck import BRepCheck_Analyzer, BRepCheck_Status
from OCP.BRepMesh import BRepMesh_IncrementalMesh
from OCP.BRepTools import BRepTools
from OCP.StlAPI import StlAPI_Writer
from OCP.TopAbs import TopAbs_EDGE, TopAbs_FACE, TopAbs_SHELL, TopAbs_SOLID, TopAbs_WIRE
from OCP.TopExp import TopExp_Explorer
from scipy.spatial import cKDTree

try:
    from backends.cad.sampling import spacing_for, surface_samples, thinned
except ModuleNotFoundError:  # in the sandbox, where the project is not installed: a sibling file
    from sampling import spacing_for, surface_samples, thinned

# Mesh deflection relative to the larger bounding-box diagonal (0.015 mm on a 150 mm part), floored:
# fine enough that the tolerance stays well under the 1 mm features the families have, and bounded
# for a wildly oversized candidate, whose mesh would otherwise explode.
DEFLECTION_PER_DIAGONAL = 1e-4
MIN_DEFLECTION_MM = 0.005
ANGULAR_DEFLECTION_RAD = 0.1
TOLERANCE_SLACK = 1.1
SCOUT_VOXELS = 4  # the scouting pass's cube side in sample spacings (see `surface_distances`)
_STL_HEADER_BYTES = 84  # 80 bytes of header, then the facet count
_STL_FACET = np.dtype([("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attributes", "<u2")])
_CHECKED = (TopAbs_SOLID, TopAbs_SHELL, TopAbs_FACE, TopAbs_WIRE, TopAbs_EDGE)


class NoSolid(ValueError):
    """The script's `result` holds no solid; the message says what it holds instead."""


def solid_of(value: object) -> cq.Shape:
    """The solids `result` holds, as one shape: the solids on a Workplane's stack, else the solid its
    chain modifies (`findSolid`, as CadQuery's own operations find it); a Shape's solids; an
    Assembly's compound."""
    if isinstance(value, cq.Assembly):
        value = value.toCompound()
    if isinstance(value, cq.Workplane):
        shapes = [o for o in value.vals() if isinstance(o, cq.Shape)]
        solids = [s for shape in shapes for s in shape.Solids()]
        if not solids:
            try:
                return value.findSolid()
            except ValueError as error:
                held = Counter(type(o).__name__ for o in value.vals()) or {"nothing": 0}
                found = ", ".join(f"{name} x{n}" if n else name for name, n in held.items())
                raise NoSolid(f"result holds no solid ({error}); its stack holds: {found}") from None
    elif isinstance(value, cq.Shape):
        solids = value.Solids()
        if not solids:
            raise NoSolid(f"result is a {value.ShapeType()} with no solid in it")
    else:
        raise NoSolid(f"result is a {type(value).__name__}, not a cq.Workplane, cq.Shape or cq.Assembly")
    return solids[0] if len(solids) == 1 else cq.Compound.makeCompound(solids)


def defects(shape: cq.Shape) -> list[str]:
    """What is wrong with the solid, in OCC's words: BRepCheck_Analyzer statuses per sub-shape kind,
    shells that are not closed, and solids that are inside out (negative volume)."""
    problems: Counter[str] = Counter()
    analyzer = BRepCheck_Analyzer(shape.wrapped)
    if not analyzer.IsValid():
        for kind in _CHECKED:
            explorer = TopExp_Explorer(shape.wrapped, kind)
            while explorer.More():
                result = analyzer.Result(explorer.Current())
                statuses = list(result.Status()) if result is not None else []
                if result is not None:
                    result.InitContextIterator()
                    while result.MoreShapeInContext():
                        statuses += list(result.StatusOnShape())
                        result.NextShapeInContext()
                label = kind.name.removeprefix("TopAbs_")
                problems.update(f"{s.name} on {label}" for s in statuses if s != BRepCheck_Status.BRepCheck_NoError)
                explorer.Next()
        if not problems:
            problems["BRepCheck_Analyzer::IsValid() is false"] += 1
    for shell in shape.Shells():
        if not BRep_Tool.IsClosed_s(shell.wrapped):
            problems["shell not closed (BRep_Tool::IsClosed is false)"] += 1
    for solid in shape.Solids():
        if solid.Volume() <= 0:
            problems[f"solid has volume {solid.Volume():.6g} mm3 (inside out or empty)"] += 1
    return [f"{text} x{count}" if count > 1 else text for text, count in problems.items()]


def properties(shape: cq.Shape, prefix: str = "") -> dict[str, float]:
    """Volume, surface area, solid count and the axis-aligned bounding box (mm, mm2, mm3)."""
    box = shape.BoundingBox()
    values = {
        "volume": shape.Volume(), "area": shape.Area(), "solids": float(len(shape.Solids())),
        "bbox_xmin": box.xmin, "bbox_xmax": box.xmax, "bbox_ymin": box.ymin, "bbox_ymax": box.ymax,
        "bbox_zmin": box.zmin, "bbox_zmax": box.zmax,
    }  # fmt: skip
    return {f"{prefix}{name}": float(value) for name, value in values.items()}


def deflection(*shapes: cq.Shape) -> float:
    """The absolute linear mesh deflection used for every shape of one comparison (and the STL)."""
    diagonal = max(shape.BoundingBox().DiagonalLength for shape in shapes)
    return max(MIN_DEFLECTION_MM, DEFLECTION_PER_DIAGONAL * diagonal)


def mesh(shape: cq.Shape, linear: float) -> None:
    """Triangulate at `linear` absolute deflection (CadQuery's own `mesh` scales it by each edge's size),
    unless a triangulation at least that fine is there already (the STL export's)."""
    if not BRepTools.Triangulation_s(shape.wrapped, linear):
        BRepMesh_IncrementalMesh(shape.wrapped, linear, False, ANGULAR_DEFLECTION_RAD, False)


def write_stl(shape: cq.Shape, path: str) -> None:
    """Binary STL of the shape's current triangulation (a fifth of the ASCII size)."""
    writer = StlAPI_Writer()
    writer.ASCIIMode = False
    if not writer.Write(shape.wrapped, path):
        raise OSError(f"StlAPI_Writer could not write {path}")


def triangles(shape: cq.Shape, linear: float) -> np.ndarray:
    """The shape's triangulation at `linear` absolute deflection, as an (n, 3, 3) array.

    Read back from a binary STL that OCC writes (float32: 2e-5 mm at 200 mm, far below the sample
    spacing), 50x faster than walking the nodes from Python. The file is anonymous (memfd), reached
    only through our own /proc/self/fd: a process the candidate left running cannot swap it."""
    mesh(shape, linear)
    fd = os.memfd_create("triangles")
    try:
        write_stl(shape, f"/proc/self/fd/{fd}")
        with os.fdopen(os.dup(fd), "rb") as handle:
            facets = np.frombuffer(handle.read(), dtype=_STL_FACET, offset=_STL_HEADER_BYTES)
    finally:
        os.close(fd)
    return facets["corners"].astype(np.float64)


def _nearest(probes: list[np.ndarray], trees: list[cKDTree]) -> tuple[np.ndarray, np.ndarray]:
    """Distances from the candidate's probes to the reference grid, and the other way."""
    return trees[1].query(probes[0])[0], trees[0].query(probes[1])[0]


def surface_distances(candidate: cq.Shape, reference: cq.Shape) -> dict[str, float]:
    """Chamfer and Hausdorff distances between the two surfaces, and the tolerance they are held to.

    Each way, probe points are matched against the other surface's full grid (spacing s): the error
    bound depends only on the grid matched against. The probes come in two sets:
    - scouts: the grid at 2s thinned to one point per cube of `SCOUT_VOXELS` x s, spread evenly over
      the area (the grids are not: every triangle brings its corners, and the mesh crowds curved
      faces with small triangles). The Chamfer distance is their mean distance, both ways averaged.
    - the whole grid at 2s, for the Hausdorff distance (the largest of all), only when the scouts'
      largest is within the tolerance: the scouts are a subset, so above it the candidate fails
      whatever the others say, and the scouts' largest is reported. A nearest-point query costs about
      (distance / s)^2, so surfaces far apart are slow to measure with every probe (a swept tube bent
      the wrong way: 11 CPU-s instead of 2).
    `probes` says how many probes the Hausdorff distance was taken over.
    """
    linear = deflection(candidate, reference)
    spacing = spacing_for(candidate.Area(), reference.Area())
    meshes = triangles(candidate, linear), triangles(reference, linear)
    if any(len(mesh) == 0 for mesh in meshes):
        raise ValueError("a surface has no triangulation to sample")
    grids = [surface_samples(mesh, spacing) for mesh in meshes]
    trees = [cKDTree(grid, balanced_tree=False) for grid in grids]  # unbalanced: builds 2x faster
    probes = [surface_samples(mesh, 2 * spacing) for mesh in meshes]
    tolerance = TOLERANCE_SLACK * (spacing + 2 * linear)
    scouts = _nearest([thinned(p, SCOUT_VOXELS * spacing) for p in probes], trees)
    farthest = _nearest(probes, trees) if max(way.max() for way in scouts) <= tolerance else scouts
    return {
        "chamfer_mm": float((scouts[0].mean() + scouts[1].mean()) / 2),
        "hausdorff_mm": float(max(way.max() for way in farthest)),
        "hausdorff_tolerance_mm": tolerance,
        "sample_spacing_mm": spacing,
        "mesh_deflection_mm": linear,
        "samples": float(sum(len(grid) for grid in grids)),
        "probes": float(sum(len(way) for way in farthest)),
    }


def overlap(candidate: cq.Shape, reference: cq.Shape) -> dict[str, float]:
    """Intersection volume and IoU from an exact boolean; a fuzzy boolean (tolerance 1e-6 of the
    diagonal) is the retry where coincident faces defeat the exact one."""
    fuzz = 1e-6 * max(shape.BoundingBox().DiagonalLength for shape in (candidate, reference))
    try:
        common = candidate.intersect(reference)
    except Exception:  # noqa: BLE001 - OCC raises its own types; the fuzzy retry says what is wrong
        common = candidate.intersect(reference, tol=fuzz)
    inside = max(0.0, common.Volume())
    union = candidate.Volume() + reference.Volume() - inside
    return {"intersection_volume": inside, "iou": inside / union if union > 0 else 0.0}
