"""Drafts: a task before its reference code exists.

A draft holds everything but the golden code: the normalized requirement, the interface, and the
verification (an oracle the harness checks against). `task(code)` turns it into a `Task` whose
reference is `code` -- whoever wrote it (a template, a model) -- so the same verification judges
deterministic and model-written seeds alike. `seed` is what the deterministic generator writes.

Kinds: `VerilogDraft` (differential testbench against an oracle module), `CFunctionDraft` (a C
function with a C reference model, as an x86-64 assembly or an STM32 firmware task),
`ProbeDraft` (firmware whose register values are checked against datasheet arithmetic) and
`LiteralDraft` (harness text given verbatim: any registered domain).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from schemas.artifacts import Task
from synthesis.records import STAGE
from synthesis.requirement import Requirement


class DraftError(ValueError):
    """A source or scenario that cannot become a task here; the message is the drop reason."""


@dataclass(frozen=True, kw_only=True)
class Draft:
    """The common part of every draft; subclasses add their interface and oracle and implement
    `_parts(code) -> (interface, harness, environment)` and `seed`."""

    domain: str
    family: str
    params: dict[str, str]
    origin: str
    source_id: str
    requirement: Requirement
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def draft_id(self) -> str:
        return Task.make_id(self.domain, self.family, self.params)

    @property
    def seed(self) -> str:
        raise NotImplementedError

    def _parts(self, code: str) -> tuple[str, str, dict[str, str]]:
        raise NotImplementedError

    def task(self, code: str) -> Task:
        """The task with `code` as its reference (the candidate golden)."""
        interface, harness, environment = self._parts(code)
        return Task(
            stage=STAGE,
            parent_ids=[self.source_id],
            task_id=self.draft_id,
            domain=self.domain,
            family=self.family,
            params=dict(self.params),
            instruction=self.requirement.render(),
            interface=interface,
            reference=code,
            harness=harness,
            environment=environment,
        )

    def spec(self) -> str:
        """The draft as JSON, for `TaskOrigin.spec` (the kind's name plus every field)."""
        return json.dumps({"kind": type(self).__name__, **_jsonable(self)}, sort_keys=True, default=str)


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def as_params(values: dict[str, object]) -> dict[str, str]:
    """Task params are strings."""
    return {k: str(v) for k, v in values.items()}


__all__ = ["Draft", "DraftError", "Requirement", "as_params"]
