"""The embedded default policy: fault injection, then diagnostic-driven repair, no model.

Turn 0 is the golden reference with 1..`max_faults` realistic faults of the task's domain. Each
later turn reads the real diagnostic of the previous turn, finds the fault it points at (a line
number the tool names, else the kind of failure) and reverts that one fault; with probability
`regress_p` the fix is imperfect and brings in a new fault, as human repairs sometimes do. The
reasoning text quotes the tool's own words. Everything is seeded by (seed, task), so a rerun
produces the same turns.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from backends.domain import get_domain
from backends.faults import Mutation, apply, inject
from schemas.outcome import Outcome
from schemas.record import content_id
from tasks.policies.base import Attempt, Episode

NAME = "perturb"
_LINE = re.compile(r":(\d+)[:\s]")
# Which fault a failure class most likely comes from, when the diagnostic names no line.
_LIKELY = {
    Outcome.COMPILATION_ERROR: ("syntax_slip", "missing_event_control", "blocking_assignment", "width_mismatch"),
    Outcome.TIMEOUT: (
        "missing_event_control", "missing_increment", "missing_volatile", "missing_irq_clear", "wrong_irq_number",
    ),
    Outcome.MEMORY_FAULT: ("misaligned_simd_load", "off_by_one_bound", "stack_overflow"),
    Outcome.RUNTIME_ERROR: ("wrong_irq_number",),
}


def _first_lines(text: str, count: int = 3) -> str:
    return "\n".join(f"> {line}" for line in text.strip().splitlines()[:count]) or "> (no output)"


class PerturbPolicy:
    """See the module docstring; `max_faults` >= 1, `regress_p` in [0, 1]."""

    name = NAME

    def __init__(self, seed: int = 0, max_faults: int = 2, regress_p: float = 0.15) -> None:
        self.seed, self.max_faults, self.regress_p = seed, max_faults, regress_p
        self._faults: dict[str, list[Mutation]] = {}

    @property
    def fingerprint(self) -> str:
        return f"{NAME}-s{self.seed}-f{self.max_faults}-r{self.regress_p}"

    def _rng(self, episode: Episode) -> random.Random:
        return random.Random(content_id(self.fingerprint, episode.trajectory_id, len(episode.turns)))

    def act(self, episodes: Sequence[Episode]) -> list[Attempt]:
        return [self._repair(e) if e.turns else self._first(e) for e in episodes]

    def _inject(self, episode: Episode, faults: list[Mutation], count: int, rng: random.Random) -> list[Mutation]:
        mutators = get_domain(episode.task.domain).mutators
        kinds = list(mutators)
        rng.shuffle(kinds)
        for kind in kinds:
            if count == 0:
                break
            taken = [m.line for m in faults]
            if (mutation := inject(episode.task.reference, mutators, kind, rng, taken)) is not None:
                faults = [*faults, mutation]
                count -= 1
        return faults

    def _attempt(self, episode: Episode, faults: list[Mutation], reasoning: str) -> Attempt:
        self._faults[episode.trajectory_id] = faults
        code = apply(episode.task.reference, faults)
        return Attempt(reasoning=reasoning, code=code, fault_kinds=tuple(m.kind for m in faults))

    def _first(self, episode: Episode) -> Attempt:
        rng = self._rng(episode)
        faults = self._inject(episode, [], rng.randint(1, self.max_faults), rng)
        task = episode.task
        reasoning = (
            f"The task asks for `{task.environment.get('top', task.family)}`: {task.instruction.split('. ')[0]}. "
            f"I keep the given interface exactly and write the {task.family} logic directly from the "
            "specification, with every register given a defined reset value."
        )
        return self._attempt(episode, faults, reasoning)

    def _culprit(self, faults: list[Mutation], outcome: Outcome, diagnostic: str) -> Mutation:
        lines = {int(n) for n in _LINE.findall(diagnostic)}
        for mutation in faults:
            if mutation.line + 1 in lines:
                return mutation
        for kind in _LIKELY.get(outcome, ()):
            for mutation in faults:
                if mutation.kind == kind:
                    return mutation
        return faults[0]

    def _repair(self, episode: Episode) -> Attempt:
        last = episode.turns[-1]
        faults = self._faults.get(episode.trajectory_id, [])
        observed = f"The {last.result.outcome} result says:\n{_first_lines(last.result.diagnostic)}\n"
        if not faults:
            return self._attempt(episode, [], observed + "I rewrite the design from the specification.")
        rng = self._rng(episode)
        culprit = self._culprit(faults, last.result.outcome, last.result.diagnostic)
        remaining = [m for m in faults if m is not culprit]
        reasoning = (
            f"{observed}This points at line {culprit.line + 1} (`{culprit.mutated.strip() or '<missing>'}`): "
            f"{culprit.description} ({culprit.kind.replace('_', ' ')}); I fix that line."
        )
        if rng.random() < self.regress_p:
            remaining = self._inject(episode, remaining, 1, rng)
            reasoning += " I also restructure nearby logic while I am there."
        return self._attempt(episode, remaining, reasoning)
