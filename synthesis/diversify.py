"""Diversity: template perturbation of scenarios, and migration of tasks across languages.

- Template perturbation: a scenario is instantiated at parameter values outside its grid (its
  `perturb` table: other baud rates, widths, polynomials...), and the interface symbol is renamed
  with one of the prefixes industrial code bases put on module and function names. The templates
  produce different code, not just different words, and every variant is verified like the rest.
- Cross-language migration: a C function task moves between C and assembly -- a firmware task's
  seed C becomes an x86-64 assembly task through gcc (its C model stays the oracle), and an
  assembly task's C seed becomes a firmware task. (PyTorch <-> Triton belongs to the gpu domain's
  own problem format and is not done here.)
"""

from __future__ import annotations

import random
import re
from dataclasses import fields, is_dataclass, replace
from typing import Any

from schemas.record import content_id
from synthesis.drafts import Draft, DraftError
from synthesis.drafts.cfunction import TARGETS, CFunctionDraft, c_requirement
from synthesis.drafts.literal import LiteralDraft
from synthesis.drafts.probes import ProbeDraft
from synthesis.drafts.verilog import VerilogDraft
from synthesis.requirement import Requirement
from synthesis.scenarios import Scenario, draft_at

PREFIXES = ("plc", "io", "drv", "fb", "ctl")  # naming conventions seen in industrial code bases
EMBEDDED_MAX_N = 64  # arrays embedded in a firmware harness stay small
_FIXED_FIELDS = ("domain", "family", "origin", "source_id", "params")


def symbols(draft: Draft) -> list[str]:
    """The names a candidate must define: what a rename changes."""
    if isinstance(draft, VerilogDraft):
        return [draft.top]
    if isinstance(draft, CFunctionDraft):
        return [draft.function.name]
    if isinstance(draft, ProbeDraft):
        return re.findall(r"\b(\w+)\s*\(\s*void\s*\)\s*;", draft.header)
    if isinstance(draft, LiteralDraft):
        return [v for k, v in draft.environment.items() if k in ("top", "symbol")]
    return []


def _prose(text: str, names: dict[str, str]) -> str:
    """Rename only where prose names the symbol as code (`name`, module name, name(...)): the same
    word may be an ordinary noun in the sentence ("the watchdog barks")."""
    for old, new in names.items():
        text = re.sub(rf"`{re.escape(old)}`", f"`{new}`", text)
        text = re.sub(rf"\b(module\s+){re.escape(old)}\b", rf"\g<1>{new}", text, flags=re.IGNORECASE)
        text = re.sub(rf"\b{re.escape(old)}\(", f"{new}(", text)
    return text


def _replaced(value: Any, pattern: re.Pattern[str], names: dict[str, str]) -> Any:
    if isinstance(value, Requirement):
        renamed_fields = {f.name: _replaced(getattr(value, f.name), pattern, names) for f in fields(value)}
        return replace(value, **(renamed_fields | {"requirement": _prose(value.requirement, names)}))
    if isinstance(value, str):
        return pattern.sub(lambda m: names[m.group(0)], value)
    if isinstance(value, tuple | list):
        return type(value)(_replaced(v, pattern, names) for v in value)
    if isinstance(value, dict):
        return {k: _replaced(v, pattern, names) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _replaced(getattr(value, f.name), pattern, names) for f in fields(value)
                                 if f.init and f.name not in _FIXED_FIELDS})  # fmt: skip
    return value


def renamed(draft: Draft, prefix: str) -> Draft:
    """The draft with every interface symbol `name` renamed `<prefix>_<name>`, consistently in the
    requirement, interface, seed, oracle and harness."""
    names = {name: f"{prefix}_{name}" for name in symbols(draft)}
    if not names:
        return draft
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    variant = _replaced(draft, pattern, names)
    return replace(variant, params={**draft.params, "rename": prefix})


def perturbed_drafts(scenario: Scenario, count: int, seed: int = 0) -> list[Draft]:
    """Up to `count` drafts at parameter points outside the grid, each with its symbol renamed."""
    grid = scenario.points()
    axes = {**scenario.grid, **scenario.perturb}
    points = [p for p in scenario.points(axes) if p not in grid]
    rng = random.Random(content_id("perturb", scenario.id, seed))
    chosen = rng.sample(points, min(count, len(points)))
    return [renamed(draft_at(scenario, point, "perturbation"), rng.choice(PREFIXES)) for point in chosen]


def migrated(draft: Draft, target: str) -> Draft:
    """The C function draft re-targeted (asm <-> embedded); `DraftError` when it cannot move there."""
    if not isinstance(draft, CFunctionDraft) or target not in TARGETS or target == draft.domain:
        raise DraftError(f"no migration from this {draft.domain} draft to {target}")
    function = draft.function
    if target == "embedded":
        function = replace(function, max_n=min(function.max_n, EMBEDDED_MAX_N))
    requirement = c_requirement(draft.requirement.requirement, function, target, "att", draft.tests)
    return CFunctionDraft(
        domain=target, family=draft.family, params={**draft.params, "migrated_from": draft.domain},
        origin="migration", source_id=draft.draft_id, requirement=requirement, function=function,
        model=draft.model, seed_c=draft.seed_c, syntax="att", tests=draft.tests,
    )  # fmt: skip
