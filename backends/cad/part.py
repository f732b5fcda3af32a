"""A concrete CAD seed part: what a family instance hands to the task builder.

A family (plate with a hole grid, flange, swept tube...) turns a parameter dict into one `CadPart`:
the text description that fully determines the solid (dimensions in mm, faces, axes, positions) and
the golden CadQuery script that builds it. Goldens are written for the fault mutators: every
dimension a numeric literal, one chained operation per line (a deleted `.hole(` line still parses),
plane names and face selectors as string literals, signed offsets where the geometry has them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Params = dict[str, int | float | str]


@dataclass(frozen=True)
class CadPart:
    """One seed part: `description` is the requirement, `script` the golden solution."""

    family: str
    params: Params
    description: str
    script: str


@dataclass(frozen=True)
class Family:
    """A parametric seed family: `build(**params)` for every `params` in `grid` gives one part."""

    name: str
    grid: tuple[Params, ...]
    build: Callable[..., CadPart]

    def parts(self) -> list[CadPart]:
        return [self.build(**params) for params in self.grid]
