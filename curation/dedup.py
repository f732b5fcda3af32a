"""Deduplication as Ray Data jobs over Parquet shards: exact, near-duplicate, forks, cross-source.

1. Signatures (`map_batches`): per batch of documents, the normalized-content hash (exact dedup)
   and a MinHash signature (`minhash.py`, vectorized over the batch), then its LSH band keys. Only
   these leave the batch, never the content: memory is bounded by the batch size.
2. Candidates (a `groupby` shuffle, then `map_groups`): documents sharing a band bucket are
   candidates; a pair becomes an edge when its signatures agree on >= `threshold` of their
   values. Exact duplicates agree on all, so they cluster too. The shuffle key is a coarse shard
   of the bucket key (`bucket_shards` groups), and each group finds its buckets with one numpy
   sort: calling Python once per bucket, most of them singletons, cost more than the rest together.
3. Clusters: connected components of the edges (union-find over document ids on the driver: the
   edge list and one id per document, no content, as DataTrove's single-task clustering step).
4. Keepers: deterministic, whatever the order documents came in: reference documents (seeds,
   literature) first, then files outside fork repositories, then the smallest (repo, path).
   A file of a fork repository (`forks.py`) is dropped as `fork`; a file whose cluster keeper is a
   reference document as `cross-source`; others as `exact` or `near`.

The same code runs on a laptop's embedded Ray and on a cluster (`RAY_ADDRESS`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.fs as pafs

from curation.forks import ForkConfig, consolidate
from curation.minhash import MinHashConfig, band_keys, content_hash, signatures
from curation.records import DedupRow, ForkGroup

log = logging.getLogger(__name__)

STAGE = "dedup"
# Keeper preference: the lower the earlier. Reference sets are what the corpus is deduplicated against.
REFERENCE_ORIGINS = {"seeds": 0, "literature": 1}
REPOSITORY_PRIORITY = 2
DOC_COLUMNS = ["file_id", "repo", "origin", "path", "content"]


@dataclass(frozen=True)
class DedupConfig:
    """`batch_size`: documents per signature batch (with `minhash.max_stacked`, what bounds memory).
    `rows_per_partition`: band rows per shuffle partition of the bucket grouping (half a million rows
    of ~560 bytes: ~280 MB a partition); a small corpus gets one partition, not Ray's default fan-out
    of aggregators that a laptop pays for in start-up time. `docs_per_shard`: the bucket keys are
    grouped in shards of about this many documents' band rows (8,192 rows, ~4.5 MB), one
    `map_groups` call each."""

    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    forks: ForkConfig = field(default_factory=ForkConfig)
    batch_size: int = 256
    rows_per_partition: int = 500_000
    docs_per_shard: int = 512


def _fixed_lists(matrix: np.ndarray) -> pa.FixedSizeListArray:
    """A (rows x n) numpy matrix as an Arrow fixed-size-list column, without Python objects."""
    return pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(matrix).ravel()), matrix.shape[1])


def _matrix(column: pa.ChunkedArray | pa.Array, dtype: type) -> np.ndarray:
    """The inverse of `_fixed_lists`: a list column of equal-length rows as a numpy matrix."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if len(array) == 0:
        return np.empty((0, 0), dtype=dtype)
    return array.flatten().to_numpy(zero_copy_only=False).astype(dtype, copy=False).reshape(len(array), -1)


def sign_batch(batch: pa.Table, config: MinHashConfig) -> pa.Table:
    """Ray Data UDF: documents -> (id, repo, origin, path, content hash, signature, band keys)."""
    contents = batch.column("content").to_pylist()
    rows = signatures(contents, config)
    return pa.table({
        "doc_id": batch.column("file_id"), "repo": batch.column("repo"), "origin": batch.column("origin"),
        "path": batch.column("path"), "content_hash": pa.array([content_hash(c) for c in contents]),
        "signature": _fixed_lists(rows), "bands": _fixed_lists(band_keys(rows, config)),
    })


def explode_bands(batch: pa.Table, shards: int) -> pa.Table:
    """One row per (document, band): the shard, band index and key, the document and its signature."""
    keys = _matrix(batch.column("bands"), np.uint64)
    signature = _matrix(batch.column("signature"), np.uint32)
    documents, bands = keys.shape if keys.size else (batch.num_rows, 0)
    flat = keys.ravel()
    return pa.table({
        "shard": pa.array((flat % np.uint64(shards)).astype(np.int64)),
        "band": pa.array(np.tile(np.arange(bands, dtype=np.int32), documents)),
        "key": pa.array(flat),
        "doc_id": pa.array(np.repeat(batch.column("doc_id").to_numpy(zero_copy_only=False), bands)),
        "signature": (_fixed_lists(np.repeat(signature, bands, axis=0)) if bands
                      else pa.array([], type=pa.list_(pa.uint32()))),
    })


_NO_EDGES = pa.schema([("a", pa.string()), ("b", pa.string()), ("similarity", pa.float64())])


def bucket_edges(group: pa.Table, threshold: float) -> pa.Table:
    """Edges of every bucket (band, key) in a group of band rows: each member of a bucket to the
    bucket's smallest id, when their signatures agree on >= `threshold` of their values."""
    if group.num_rows < 2:
        return _NO_EDGES.empty_table()
    group = group.sort_by([("band", "ascending"), ("key", "ascending"), ("doc_id", "ascending")])
    bands, keys = group.column("band").to_numpy(), group.column("key").to_numpy()
    ids = group.column("doc_id").to_pylist()
    starts = np.flatnonzero(np.r_[True, (bands[1:] != bands[:-1]) | (keys[1:] != keys[:-1]), True])
    matrix = None
    a, b, similarity = [], [], []
    for start, stop in zip(starts[:-1], starts[1:], strict=True):
        if stop - start < 2:
            continue
        matrix = _matrix(group.column("signature"), np.uint32) if matrix is None else matrix
        agree = (matrix[start + 1 : stop] == matrix[start]).mean(axis=1)
        for offset in np.flatnonzero(agree >= threshold):
            if ids[start + 1 + offset] != ids[start]:
                a.append(ids[start])
                b.append(ids[start + 1 + offset])
                similarity.append(float(agree[offset]))
    return pa.table({"a": a, "b": b, "similarity": similarity}, schema=_NO_EDGES)


def components(ids: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Union-find: document -> its component's smallest id."""
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {i: find(i) for i in ids}


@dataclass
class DedupOutcome:
    rows: list[DedupRow]
    forks: list[ForkGroup]
    kept: set[str]
    counts: dict[str, int]


def _keeper_key(meta: dict, forks: dict[str, ForkGroup]) -> tuple:
    priority = REFERENCE_ORIGINS.get(meta["origin"], REPOSITORY_PRIORITY)
    return (priority, meta["repo"] in forks, meta["repo"], meta["path"], meta["doc_id"])


def decide(metas: list[dict], edges: list[dict], forks: dict[str, ForkGroup]) -> DedupOutcome:
    """Clusters, keepers and reasons from document metadata (no content) and verified edges."""
    by_id = {m["doc_id"]: m for m in metas}
    roots = components(sorted(by_id), [(e["a"], e["b"]) for e in edges])
    best: dict[str, float] = defaultdict(float)
    for e in edges:
        best[e["a"]] = max(best[e["a"]], e["similarity"])
        best[e["b"]] = max(best[e["b"]], e["similarity"])
    clusters: dict[str, list[str]] = defaultdict(list)
    for doc_id, root in roots.items():
        clusters[root].append(doc_id)
    rows, kept, reasons = [], set(), Counter[str]()
    for members in clusters.values():
        keeper = min((by_id[m] for m in members), key=lambda m: _keeper_key(m, forks))
        cluster_id = f"c-{keeper['doc_id']}"
        for doc_id in sorted(members):
            meta = by_id[doc_id]
            reference = meta["origin"] in REFERENCE_ORIGINS
            if reference:
                reason, keep = "reference", True
            elif meta["repo"] in forks:
                reason, keep = "fork", False
            elif doc_id == keeper["doc_id"]:
                reason, keep = ("unique" if len(members) == 1 else "keeper"), True
            elif keeper["origin"] in REFERENCE_ORIGINS:
                reason, keep = "cross-source", False
            else:
                reason, keep = ("exact" if meta["content_hash"] == keeper["content_hash"] else "near"), False
            reasons[reason] += 1
            if keep:
                kept.add(doc_id)
            rows.append(DedupRow(
                stage=STAGE, parent_ids=[doc_id], doc_id=doc_id, source=meta["repo"], origin=meta["origin"],
                path=meta["path"], cluster_id=cluster_id, kept=keep, keeper_id=keeper["doc_id"], reason=reason,
                content_hash=meta["content_hash"], similarity=1.0 if doc_id == keeper["doc_id"] else best[doc_id],
            ))
    counts = {"documents": len(by_id), "clusters": len(clusters),
              "clusters with duplicates": sum(1 for m in clusters.values() if len(m) > 1),
              "fork repositories": len(forks), **{f"reason {k}": n for k, n in sorted(reasons.items())}}
    return DedupOutcome(rows, list(forks.values()), kept, counts)


def _quiet_data_context() -> None:
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False


def run_dedup(
    shards: Sequence[str], filesystem: pafs.FileSystem | None = None, references: pa.Table | None = None,
    config: DedupConfig | None = None,
) -> DedupOutcome:
    """Deduplicate the documents of Parquet `shards` (CodeFile columns) against themselves and the
    `references` table (same columns; seeds, literature); Ray must be initialised by the caller."""
    import ray.data

    config = config or DedupConfig()
    _quiet_data_context()
    documents = ray.data.read_parquet(list(shards), filesystem=filesystem).select_columns(DOC_COLUMNS)
    if references is not None and references.num_rows:
        documents = documents.union(ray.data.from_arrow(references.select(DOC_COLUMNS)))
    started = time.perf_counter()
    signed = documents.map_batches(sign_batch, fn_kwargs={"config": config.minhash}, batch_format="pyarrow",
                                   batch_size=config.batch_size).materialize()
    signed_at = time.perf_counter()
    threshold, count = config.minhash.threshold, signed.count()
    partitions = max(1, -(-count * config.minhash.bands // config.rows_per_partition))
    shards = max(1, count // config.docs_per_shard)
    edges = (signed.select_columns(["doc_id", "signature", "bands"])
             .map_batches(explode_bands, fn_kwargs={"shards": shards}, batch_format="pyarrow")
             .groupby("shard", num_partitions=partitions)
             .map_groups(lambda g: bucket_edges(g, threshold), batch_format="pyarrow")
             .take_all())
    edges_at = time.perf_counter()
    metas = signed.select_columns(["doc_id", "repo", "origin", "path", "content_hash"]).take_all()
    log.info("dedup of %d documents: signatures %.1f s, candidate edges %.1f s, metadata %.1f s", count,
             signed_at - started, edges_at - signed_at, time.perf_counter() - edges_at)
    exclude = frozenset(m["repo"] for m in metas if m["origin"] in REFERENCE_ORIGINS)
    forks = consolidate(((m["repo"], m["content_hash"]) for m in metas), config.forks, exclude)
    unique_edges = {(e["a"], e["b"]): e for e in edges}
    return decide(metas, list(unique_edges.values()), forks)
