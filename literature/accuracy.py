"""Accuracy against known truth: character error rate, indentation fidelity, snippet recovery.

CER is the Levenshtein distance between the reading and the truth over the truth's length, both
with whitespace runs collapsed to one space: it scores the characters and their order, not the
layout. Layout is scored separately: `indent_accuracy` is the share of a listing's non-blank lines
whose leading-space count matches the truth (paired in order after dropping blank lines).
"""

from __future__ import annotations

import re

import numpy as np


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def levenshtein(a: str, b: str) -> int:
    """Edit distance, one numpy row at a time: substitution/deletion vectorised, insertion by the
    running-minimum identity D[j] = min_k(E[k] + j - k) = j + cummin(E[k] - k)."""
    if not a or not b:
        return max(len(a), len(b))
    target = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    positions = np.arange(len(b) + 1)
    previous = positions.copy()
    for i, char in enumerate(a, start=1):
        cost = (target != ord(char)).astype(np.int64)
        current = np.empty_like(previous)
        current[0] = i
        current[1:] = np.minimum(previous[1:] + 1, previous[:-1] + cost)
        current = positions + np.minimum.accumulate(current - positions)
        previous = current
    return int(previous[-1])


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate of `hypothesis` against `reference`, whitespace-normalised."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    return levenshtein(ref, hyp) / max(len(ref), 1)


def indent_accuracy(reference: str, hypothesis: str) -> float:
    """Share of the reference's non-blank lines whose indentation the hypothesis reproduces."""
    ref = [line for line in reference.splitlines() if line.strip()]
    hyp = [line for line in hypothesis.splitlines() if line.strip()]
    same = sum(
        len(r) - len(r.lstrip()) == len(h) - len(h.lstrip()) for r, h in zip(ref, hyp, strict=False)
    )
    return same / max(len(ref), 1)


def best_match(reference: str, candidates: list[str]) -> tuple[int, float]:
    """(index, CER) of the candidate closest to `reference`; (-1, 1.0) when there is none."""
    if not candidates:
        return -1, 1.0
    scores = [cer(reference, c) for c in candidates]
    index = int(np.argmin(scores))
    return index, scores[index]
