"""MinHash signatures and LSH band keys, vectorized over a batch of documents.

The permutations are datasketch's own (`datasketch.MinHash(num_perm, seed).permutations`, its
default "affine32" scheme since 2.0: the 32-bit shingle hash is pre-mixed by the MurmurHash3
finalizer, then `a * h + b mod 2^32` with odd `a`, a bijection that adds no collisions), so a batch
signature equals `datasketch.MinHash.update_batch` on the same shingles with the same hash function
(tests/test_curation_dedup.py checks it). What is ours is that a whole batch is one numpy
computation: the shingle hashes of many documents are stacked, permuted at once, and reduced per
document with `np.minimum.reduceat`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import xxhash
from datasketch import MinHash

_TOKEN = re.compile(r"\w+|[^\w\s]")
_MAX_HASH = np.uint32((1 << 32) - 1)
# MurmurHash3's 32-bit finalizer (shifts and multipliers), as datasketch pre-mixes with it.
_FMIX32 = (16, np.uint32(0x85EBCA6B), 13, np.uint32(0xC2B2AE35), 16)


@dataclass(frozen=True)
class MinHashConfig:
    """Near-duplicate detection tunables; the defaults and the math behind them.

    - `shingle_size` 5: shingles are 5 consecutive code tokens (identifiers, numbers, single
      punctuation; whitespace and layout ignored). Shorter shingles make unrelated files in one
      language look alike (`) ; end` is everywhere); longer ones let one edited token break many.
    - `bands` x `rows` = 16 x 8 = 128 permutations. Two documents of Jaccard similarity s share at
      least one band with probability 1 - (1 - s^8)^16: the S-curve's midpoint, the similarity
      threshold the bands imply, is (1/b)^(1/r) = (1/16)^(1/8) ~ 0.707; at s = 0.8 a pair is a
      candidate with probability 0.9996, at s = 0.5 with 0.061.
    - `threshold` 0.7: a candidate pair becomes an edge only if its signatures agree on at least
      70% of the 128 values (the unbiased estimate of Jaccard, standard error <= 0.044), which
      removes most band collisions of dissimilar documents.
    - `seed` 1: datasketch's default, so signatures compare with a plain datasketch MinHash.
    - `max_stacked` 2^16 shingles are permuted at once (128 x 4 bytes each: 32 MiB), which bounds
      a batch's memory whatever the batch size; a longer document is a stack of its own.
    """

    shingle_size: int = 5
    bands: int = 16
    rows: int = 8
    threshold: float = 0.7
    seed: int = 1
    max_stacked: int = 1 << 16

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    @property
    def implied_threshold(self) -> float:
        return (1 / self.bands) ** (1 / self.rows)

    @cached_property
    def permutations(self) -> tuple[np.ndarray, np.ndarray]:
        a, b = MinHash(num_perm=self.num_perm, seed=self.seed, scheme="affine32").permutations
        return a.astype(np.uint32), b.astype(np.uint32)


def normalize(content: str) -> str:
    """Content as exact dedup compares it: line endings, trailing blanks and blank lines ignored."""
    lines = (line.rstrip() for line in content.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def content_hash(content: str) -> str:
    return hashlib.sha256(normalize(content).encode()).hexdigest()[:32]


def shingles(content: str, size: int) -> list[bytes]:
    """The document's token shingles (a document shorter than one shingle is one shingle)."""
    tokens = _TOKEN.findall(content)
    if len(tokens) <= size:
        return [" ".join(tokens).encode()] if tokens else []
    return [" ".join(tokens[i : i + size]).encode() for i in range(len(tokens) - size + 1)]


def shingle_hashes(content: str, size: int) -> np.ndarray:
    """32-bit hashes of the distinct shingles (xxh32: the shingle hash function, as datasketch's `hashfunc`)."""
    return np.unique(np.fromiter((xxhash.xxh32_intdigest(s) for s in shingles(content, size)), dtype=np.uint32))


def _fmix32(values: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX32
    values = values ^ (values >> s1)
    values = values * m1
    values = values ^ (values >> s2)
    values = values * m2
    return values ^ (values >> s3)


def signatures(contents: list[str], config: MinHashConfig) -> np.ndarray:
    """(documents x num_perm) uint32 MinHash signatures; an empty document's row is all 0xffffffff."""
    a, b = config.permutations
    out = np.full((len(contents), config.num_perm), _MAX_HASH, dtype=np.uint32)
    hashed = [shingle_hashes(c, config.shingle_size) for c in contents]
    start = 0
    while start < len(hashed):
        stop, stacked = start, 0
        while stop < len(hashed) and (stop == start or stacked + len(hashed[stop]) <= config.max_stacked):
            stacked += len(hashed[stop])
            stop += 1
        chunk = [h for h in hashed[start:stop] if len(h)]
        if chunk:
            values = np.concatenate(chunk)
            permuted = _fmix32(values)[:, None] * a + b  # uint32 arithmetic wraps: mod 2^32
            offsets = np.cumsum([0] + [len(h) for h in chunk[:-1]])
            rows = [i for i in range(start, stop) if len(hashed[i])]
            out[rows] = np.minimum.reduceat(permuted, offsets, axis=0)
        start = stop
    return out


def band_keys(signature_rows: np.ndarray, config: MinHashConfig) -> np.ndarray:
    """(documents x bands) uint64 keys: a hash of each band's `rows` signature values."""
    keys = np.empty((signature_rows.shape[0], config.bands), dtype=np.uint64)
    for band in range(config.bands):
        part = np.ascontiguousarray(signature_rows[:, band * config.rows : (band + 1) * config.rows])
        keys[:, band] = [xxhash.xxh64_intdigest(row.tobytes(), seed=band) for row in part]
    return keys


def estimated_jaccard(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.mean(first == second))
