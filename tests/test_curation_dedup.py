"""Dedup without Ray: batch MinHash equals datasketch's, LSH buckets, clusters, keepers, forks.

The Ray Data job itself runs in tests/test_curation_flow.py, on the planted corpus.
"""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import xxhash
from datasketch import MinHash

from curation.dedup import bucket_edges, components, decide, explode_bands
from curation.forks import ForkConfig, consolidate
from curation.minhash import MinHashConfig, band_keys, content_hash, shingles, signatures

CONFIG = MinHashConfig()


def _document(seed: int, words: int = 400) -> str:
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(2000)]
    return " ".join(rng.choice(vocabulary) for _ in range(words))


def test_batch_signatures_equal_datasketch_per_document() -> None:
    documents = [_document(i) for i in range(5)] + ["", "a b", "x" * 10]
    batch = signatures(documents, MinHashConfig(max_stacked=700))  # forces several stacks
    for text, row in zip(documents, batch, strict=True):
        reference = MinHash(num_perm=CONFIG.num_perm, seed=CONFIG.seed, hashfunc=xxhash.xxh32_intdigest)
        if shingles(text, CONFIG.shingle_size):
            reference.update_batch(shingles(text, CONFIG.shingle_size))
        assert np.array_equal(reference.hashvalues, row)


def test_signature_agreement_tracks_jaccard() -> None:
    base = _document(1).split()
    edited = base[:]
    for i in range(0, len(edited), 40):  # 10 of 400 words changed
        edited[i] = "changed"
    first, second = signatures([" ".join(base), " ".join(edited)], CONFIG)
    a, b = set(shingles(" ".join(base), 5)), set(shingles(" ".join(edited), 5))
    truth = len(a & b) / len(a | b)
    assert abs(float(np.mean(first == second)) - truth) < 0.15
    unrelated = signatures([_document(99)], CONFIG)[0]
    assert float(np.mean(first == unrelated)) < 0.1


def test_exact_hash_ignores_layout_only() -> None:
    assert content_hash("a = 1;  \r\n\r\n\nb = 2;\n") == content_hash("a = 1;\nb = 2;")
    assert content_hash("a = 1;\nb = 2;") != content_hash("a = 1;\nb = 3;")


def _signed(ids: list[str], texts: list[str]) -> pa.Table:
    rows = signatures(texts, CONFIG)
    return pa.table({"doc_id": ids, "signature": pa.array(list(rows), type=pa.list_(pa.uint32())),
                     "bands": pa.array(list(band_keys(rows, CONFIG)), type=pa.list_(pa.uint64()))})


def test_buckets_give_edges_for_near_duplicates_only() -> None:
    near = _document(3).replace("w1 ", "w7 ", 3)
    exploded = explode_bands(_signed(["c", "b", "a"], [_document(4), near, _document(3)]), shards=3)
    assert exploded.num_rows == 3 * CONFIG.bands and set(exploded.column("shard").to_pylist()) <= {0, 1, 2}
    edges = set()
    for shard in range(3):  # as the shuffle groups them: one call per shard
        result = bucket_edges(exploded.filter(pa.compute.field("shard") == shard), CONFIG.threshold)
        edges |= set(zip(result.column("a").to_pylist(), result.column("b").to_pylist(), strict=True))
        assert all(s >= CONFIG.threshold for s in result.column("similarity").to_pylist())
    assert edges == {("a", "b")}


def test_components_and_keepers_are_order_independent() -> None:
    metas = [
        {"doc_id": "d1", "repo": "dir:b", "origin": "dir", "path": "x.v", "content_hash": "h1"},
        {"doc_id": "d2", "repo": "dir:a", "origin": "dir", "path": "y.v", "content_hash": "h1"},
        {"doc_id": "d3", "repo": "dir:c", "origin": "dir", "path": "z.v", "content_hash": "h3"},
        {"doc_id": "d4", "repo": "dir:d", "origin": "dir", "path": "w.v", "content_hash": "h4"},
        {"doc_id": "s1", "repo": "seeds:verilog", "origin": "seeds", "path": "f/1", "content_hash": "h5"},
        {"doc_id": "d5", "repo": "dir:e", "origin": "dir", "path": "v.v", "content_hash": "h5"},
    ]
    edges = [{"a": "d1", "b": "d2", "similarity": 1.0}, {"a": "d2", "b": "d3", "similarity": 0.8},
             {"a": "d5", "b": "s1", "similarity": 1.0}]
    outcomes = [decide(order, list(reversed(edges)) if i else edges, {}) for i, order in
                enumerate([metas, list(reversed(metas))])]
    rows = [{r.doc_id: (r.cluster_id, r.kept, r.reason) for r in o.rows} for o in outcomes]
    assert rows[0] == rows[1]
    assert rows[0]["d2"] == ("c-d2", True, "keeper")  # dir:a sorts first
    assert rows[0]["d1"] == ("c-d2", False, "exact") and rows[0]["d3"] == ("c-d2", False, "near")
    assert rows[0]["d4"] == ("c-d4", True, "unique")
    assert rows[0]["d5"] == ("c-s1", False, "cross-source") and rows[0]["s1"][1:] == (True, "reference")
    assert components(["a", "b", "c"], [("c", "b")]) == {"a": "a", "b": "b", "c": "b"}


def test_forks_consolidate_into_the_largest_repository_through_chains() -> None:
    core = [("dir:core", f"h{i}") for i in range(10)]
    fork = [("dir:fork", f"h{i}") for i in range(9)] + [("dir:fork", "own")]
    fork_of_fork = [("dir:fork2", f"h{i}") for i in range(5)]
    unrelated = [("dir:other", f"h{i}") for i in range(2)] + [("dir:other", f"o{i}") for i in range(8)]
    groups = consolidate(core + fork + fork_of_fork + unrelated, ForkConfig())
    assert groups["dir:fork"].canonical == "dir:core" and groups["dir:fork"].containment == 0.9
    assert groups["dir:fork2"].canonical == "dir:core"
    assert "dir:other" not in groups and "dir:core" not in groups
    assert consolidate(core + fork, exclude=frozenset({"dir:fork"})) == {}
