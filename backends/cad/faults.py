"""Realistic CadQuery modelling mistakes, each tagged with its fault kind (see `backends/faults.py`).

Each kind is a slip CAD engineers make and the harness sees differently: a dimension off by a
factor of two (radius for diameter), a feature on the wrong plane, face or axis, a boolean cut that
never happened, an edge break larger than the faces allow (OCC refuses it: RUNTIME_ERROR, or builds
something else), and a flipped sign on an offset, extrusion direction or arc. All are line-local:
the goldens put one chained operation per line, so deleting a cut leaves valid Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from backends.cad.families._common import num
from backends.faults import Mutation, Mutator, regex_mutator

_NUMBER = r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])"
_NEXT_AXIS = {"X": "Y", "Y": "Z", "Z": "X"}
_NEXT_PLANE = {"XY": "XZ", "XZ": "YZ", "YZ": "XY"}
_CUTS = re.compile(r"^\s*\.(cut|hole|cboreHole|cskHole|cutBlind|cutThruAll)\(")


def _scaled(match: re.Match[str]) -> str:
    """Counts and small dimensions doubled, larger ones halved; 0 and 1 (origins, axis components) kept."""
    value = float(match.group(1))
    if value in (0, 1):
        return match.group(0)
    return num(value * 2 if value < 10 else value / 2)


def _plane(match: re.Match[str]) -> str:
    """Named planes, edge directions and face selectors rotate to the next axis (XY to XZ, |Z to |X,
    >Z to >X). Not top for bottom: through holes and symmetric patterns come out the same from
    either side, and a mutant that builds the same solid is no fault."""
    name = match.group(1)
    return f'"{_NEXT_PLANE.get(name) or name[0] + _NEXT_AXIS[name[1]]}"'


def _wrong_workplane(lines: list[str]) -> Iterable[Mutation]:
    description = "a feature is built on the wrong plane, face or axis"
    yield from regex_mutator("wrong_workplane", r'"(XY|XZ|YZ|[<>|][XYZ])"', _plane, description)(lines)
    yield from regex_mutator("wrong_workplane", r"\(0, 1, 0\)", lambda m: "(1, 0, 0)", description)(lines)


def _missing_cut(lines: list[str]) -> Iterable[Mutation]:
    for index, line in enumerate(lines):
        if _CUTS.match(line):
            yield Mutation("missing_cut", index, line, "", "a boolean cut (hole, pocket, slot) is missing")


def _sign_error(lines: list[str]) -> Iterable[Mutation]:
    description = "a sign is flipped (offset, extrusion direction or arc side)"
    rules = (
        (r"(?<![\w)\].])-(\d+(?:\.\d+)?)", lambda m: m.group(1)),  # unary minus dropped
        (r"(offset=|\.extrude\()(\d+(?:\.\d+)?)", lambda m: f"{m.group(1)}-{m.group(2)}"),
        (r"(radiusArc\(\([^()]*\),\s*)(\d+(?:\.\d+)?)", lambda m: f"{m.group(1)}-{m.group(2)}"),
    )
    for pattern, replace in rules:
        yield from regex_mutator("sign_error", pattern, replace, description)(lines)


def _too_large(match: re.Match[str]) -> str:
    return f"{match.group(1)}{num(float(match.group(2)) * 6)}"


MUTATORS: dict[str, Mutator] = {
    "wrong_dimension": regex_mutator(
        "wrong_dimension", _NUMBER, _scaled, "a dimension is off by a factor of two (radius for diameter)"
    ),
    "wrong_workplane": _wrong_workplane,
    "missing_cut": _missing_cut,
    "fillet_too_large": regex_mutator(
        "fillet_too_large",
        r"(\.(?:fillet|chamfer)\()(\d+(?:\.\d+)?)",
        _too_large,
        "a fillet or chamfer is larger than the adjoining faces allow",
    ),
    "sign_error": _sign_error,
}
FAULT_KINDS: tuple[str, ...] = tuple(MUTATORS)
