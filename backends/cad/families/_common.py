"""Shared scaffolding for the CAD seed families: grids, number formatting and part assembly.

The placement conventions every description repeats are stated once here (`FRAME`), so a
description plus the frame determines the solid exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from textwrap import dedent

from backends.cad.part import CadPart, Params

HEADER = "import cadquery as cq\n\n"
FRAME = ("All dimensions are in millimetres and all coordinates refer to the global X, Y, Z axes; the part "
         "is compared in place, so its position and orientation matter as much as its shape.")  # fmt: skip


def grid(**axes: Sequence[int | float | str]) -> tuple[Params, ...]:
    """Every combination of the axis values, as parameter dicts (first axis varies slowest)."""
    names = tuple(axes)
    return tuple(dict(zip(names, values, strict=True)) for values in product(*axes.values()))


def num(value: float) -> str:
    """A dimension as written in scripts and descriptions: at most 3 decimals, no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def pts(points: Sequence[tuple[float, float]]) -> str:
    """A point list literal, e.g. `[(0, 0), (40, 0)]`."""
    return "[" + ", ".join(f"({num(x)}, {num(y)})" for x, y in points) + "]"


def part(family: str, params: Params, description: str, script: str) -> CadPart:
    """Assemble a part: the description on one line (after the frame), the script dedented with its import."""
    text = " ".join(description.split())
    return CadPart(family, dict(params), f"{text} {FRAME}", HEADER + dedent(script).strip("\n") + "\n")
