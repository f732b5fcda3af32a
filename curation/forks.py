"""Repository-level fork consolidation: repositories sharing most of their file hashes keep one canonical.

A repository is a fork of another when at least `containment` of its distinct file hashes (content
normalized as exact dedup normalizes it) are also in the other, and they share at least
`min_shared` files (two repositories both holding a stock LICENSE and an empty `__init__.py` are
not forks). The canonical repository of a group is the one with the most distinct files, then the
smallest name: deterministic, whatever order the files came in. Chains resolve to the end: a fork of
a fork is consolidated into the final canonical one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from curation.records import ForkGroup

STAGE = "dedup"


@dataclass(frozen=True)
class ForkConfig:
    containment: float = 0.8
    min_shared: int = 3
    max_holders: int = 64  # a hash in more repositories than this is boilerplate, no evidence of forking


def consolidate(
    hashes: Iterable[tuple[str, str]], config: ForkConfig | None = None, exclude: frozenset[str] = frozenset()
) -> dict[str, ForkGroup]:
    """`hashes`: (repo, content hash) per file; returns fork repo -> its consolidation record.
    Repositories in `exclude` (reference sets: seeds, literature) are never forks nor canonical."""
    config = config or ForkConfig()
    files: dict[str, set[str]] = defaultdict(set)
    holders: dict[str, set[str]] = defaultdict(set)
    for repo, digest in hashes:
        if repo not in exclude:
            files[repo].add(digest)
            holders[digest].add(repo)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for repos in holders.values():
        if len(repos) > config.max_holders:
            continue
        ordered = sorted(repos)
        for i, first in enumerate(ordered):
            for second in ordered[i + 1 :]:
                shared[(first, second)] += 1

    def rank(repo: str) -> tuple[int, str]:
        return (-len(files[repo]), repo)

    parent: dict[str, tuple[str, int]] = {}
    for (first, second), count in sorted(shared.items()):
        fork, canonical = sorted((first, second), key=rank, reverse=True)
        if count >= config.min_shared and count / len(files[fork]) >= config.containment:
            best = parent.get(fork)
            if best is None or rank(canonical) < rank(best[0]):
                parent[fork] = (canonical, count)
    groups = {}
    for fork, (canonical, count) in parent.items():
        root, seen = canonical, {fork}
        while root in parent and root not in seen:
            seen.add(root)
            root = parent[root][0]
        groups[fork] = ForkGroup(stage=STAGE, parent_ids=[fork, root], repo=fork, canonical=root, shared_files=count,
                                 files=len(files[fork]), containment=round(count / len(files[fork]), 4))
    return groups
