"""Seed code generation through any policy: who writes each draft's reference code.

The embedded default is `TemplatePolicy`: it writes the draft's deterministic seed (the catalog
template filled in, gcc's translation, the curated file itself). Any policy of `tasks/policies/`
works the same way -- `openai` (an OpenAI-compatible endpoint) or `hf` (a local checkpoint) see the
normalized instruction, the interface and the environment, never the seed, and what they write is
verified exactly like a template's output. (`perturb` plants faults in the seed; verification then
drops those drafts, which is a way to watch the verification work.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.artifacts import Task
from schemas.record import content_id
from synthesis.drafts import Draft, DraftError
from tasks.policies import make_policy
from tasks.policies.base import Attempt, Episode, Policy

TEMPLATE = "template"
GENERATORS = (TEMPLATE, "perturb", "openai", "hf")


class TemplatePolicy:
    """Writes each draft's seed: the task passed in carries it as its reference."""

    name = TEMPLATE

    @property
    def fingerprint(self) -> str:
        return f"{TEMPLATE}-v1"

    def act(self, episodes: Sequence[Episode]) -> list[Attempt]:
        return [Attempt(reasoning="Seed from the scenario template.", code=e.task.reference) for e in episodes]


def make_generator(name: str, seed: int = 0, options: dict[str, Any] | None = None) -> Policy:
    if name == TEMPLATE:
        return TemplatePolicy()
    return make_policy(name, seed, **(options or {}))


@dataclass(frozen=True)
class Generated:
    """A draft with the task its generated code became."""

    draft: Draft
    task: Task


def generate(drafts: Sequence[Draft], policy: Policy) -> tuple[list[Generated], list[tuple[Draft, str]]]:
    """Tasks whose reference the policy wrote, and (draft, reason) for drafts that could not be built
    (a seed that does not compile to assembly, a reference model that does not run...)."""
    prompts: list[tuple[Draft, Task]] = []
    failed: list[tuple[Draft, str]] = []
    needs_seed = isinstance(policy, TemplatePolicy) or policy.name == "perturb"
    for draft in drafts:
        try:
            prompts.append((draft, draft.task(draft.seed if needs_seed else "")))
        except DraftError as err:
            failed.append((draft, str(err)))
    episodes = [Episode(content_id("synthesis", task.task_id, policy.fingerprint), task) for _, task in prompts]
    attempts = policy.act(episodes) if episodes else []
    generated = [Generated(draft, draft.task(attempt.code))
                 for (draft, _), attempt in zip(prompts, attempts, strict=True)]  # fmt: skip
    return generated, failed
