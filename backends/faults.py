"""Fault injection shared by all domains: line-local mutations that can be applied and reverted.

A `Mutation` replaces one line of a correct solution. Keeping every mutation to one line (a deleted
statement becomes an empty line) keeps line numbers stable, so several faults can be stacked, a
tool's "line 12" points at the right fault, and a repair can revert exactly one of them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutation:
    """`kind` applied at 0-based `line`: `original` became `mutated`."""

    kind: str
    line: int
    original: str
    mutated: str
    description: str


# A mutator proposes every mutation of its kind that the source allows.
Mutator = Callable[[list[str]], Iterable[Mutation]]


def apply(source: str, mutations: Sequence[Mutation]) -> str:
    """The source with the mutations applied (at most one per line)."""
    lines = source.split("\n")
    for mutation in mutations:
        if lines[mutation.line] != mutation.original:
            raise ValueError(f"mutation {mutation.kind} expects line {mutation.line + 1} to be {mutation.original!r}")
        lines[mutation.line] = mutation.mutated
    return "\n".join(lines)


def sites(source: str, mutator: Mutator, taken: Iterable[int] = ()) -> list[Mutation]:
    """All mutations `mutator` proposes for `source`, skipping lines already mutated."""
    busy = set(taken)
    return [m for m in mutator(source.split("\n")) if m.line not in busy]


def inject(
    source: str, mutators: dict[str, Mutator], kind: str, rng: random.Random, taken: Iterable[int] = ()
) -> Mutation | None:
    """One random mutation of `kind`, or None where the source offers no site for it."""
    candidates = sites(source, mutators[kind], taken)
    return rng.choice(candidates) if candidates else None


def regex_mutator(kind: str, pattern: str, replace: Callable[[re.Match[str]], str], description: str) -> Mutator:
    """A mutator that rewrites one regex match on a line; every match on every line is a site."""
    compiled = re.compile(pattern)

    def propose(lines: list[str]) -> Iterable[Mutation]:
        for index, line in enumerate(lines):
            for match in compiled.finditer(line):
                mutated = line[: match.start()] + replace(match) + line[match.end() :]
                if mutated != line:
                    yield Mutation(kind, index, line, mutated, description)

    return propose
