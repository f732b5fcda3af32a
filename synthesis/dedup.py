"""Near-duplicate removal with MinHash LSH (datasketch), before anything is executed.

The curation stage's dedup module is not available to this package yet, so this uses datasketch
directly with the same method: shingles of the code's tokens, MinHash signatures, LSH buckets.

Defaults (see `DedupConfig`): 5-token shingles of the reference code with comments and whitespace
removed, 128 permutations, Jaccard threshold 0.9. datasketch picks the bands x rows split that
minimises false positives + negatives at that threshold (about (1/b)^(1/r) ~ 0.9). Code, not the
instruction, is compared: two catalog scenarios may share boilerplate requirements, but two tasks
whose golden code is ~identical (a curated file also quoted in a paper, a perturbation that only
renamed things) are the same task. Changing a width or a polynomial changes a few tokens of a short
module, which keeps it below 0.9 in practice (measured in the tests).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/|^[ \t]*#[^\n]*", re.DOTALL | re.MULTILINE)
_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class DedupConfig:
    shingle: int = 5
    num_perm: int = 128
    threshold: float = 0.9


def shingles(code: str, size: int) -> set[str]:
    tokens = _TOKEN.findall(_COMMENTS.sub(" ", code))
    if len(tokens) < size:
        return {" ".join(tokens)}
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def signature(code: str, config: DedupConfig) -> MinHash:
    minhash = MinHash(num_perm=config.num_perm, seed=1)
    minhash.update_batch([s.encode() for s in shingles(code, config.shingle)])
    return minhash


def near_duplicates(items: Sequence[tuple[str, str]], config: DedupConfig = DedupConfig()) -> list[str | None]:
    """For `(id, code)` items in priority order, aligned with them: None for an item kept, else the id
    of the earlier item it nearly duplicates (an id seen before is a duplicate of itself)."""
    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm)
    verdicts: list[str | None] = []
    inserted: set[str] = set()
    for item_id, code in items:
        if item_id in inserted:
            verdicts.append(item_id)
            continue
        minhash = signature(code, config)
        matches = lsh.query(minhash)
        if matches:
            verdicts.append(sorted(matches)[0])
            continue
        lsh.insert(item_id, minhash)
        inserted.add(item_id)
        verdicts.append(None)
    return verdicts
