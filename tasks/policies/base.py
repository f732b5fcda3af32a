"""The policy interface: who writes the reasoning and the code of each ECoT turn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from schemas.artifacts import Task, Turn


class PolicyConfigError(ValueError):
    """A model-backed policy is missing what it needs to run (endpoint, model, checkpoint)."""


@dataclass(frozen=True)
class Episode:
    """A trajectory in progress: the task and the turns so far (the last one's result is the observation)."""

    trajectory_id: str
    task: Task
    turns: tuple[Turn, ...] = ()


@dataclass(frozen=True)
class Attempt:
    """One turn's output. `fault_kinds` names faults the policy knows the code holds (perturb only)."""

    reasoning: str
    code: str
    fault_kinds: tuple[str, ...] = ()


class Policy(Protocol):
    """Batched, so model-backed policies can generate for many episodes at once.

    `fingerprint` identifies the policy's configuration: it goes into trajectory ids, so a rerun
    with the same policy, tasks and seed writes the same rows (and the store adds nothing).
    """

    name: str

    @property
    def fingerprint(self) -> str: ...

    def act(self, episodes: Sequence[Episode]) -> list[Attempt]: ...
