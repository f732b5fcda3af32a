"""Near-duplicate detection: our Ray Data pipeline vs a plain datasketch loop vs DataTrove's MinHash pipeline.

Corpus: ../shared/corpus when present, else the embedded corpus (installed Debian packages and
Python distributions, every text file up to `--per-repo` per repository), plus planted
near-duplicates: copies of random documents with 2-20% of their tokens replaced, so every
similarity level has pairs. Ground truth: the exact Jaccard similarity of every pair's 5-token
shingle sets (a sparse product, no sampling); a pair is a true near-duplicate at >= `--threshold`.

All three use the same shingles (the code tokens of `curation.minhash`; DataTrove gets them
through a custom `WordTokenizer` with its prose normalization off; its shingle hash is sha1, as its
xxhash option passes `str` to xxhash 4, which refuses it), 128 permutations as 16 bands
x 8 rows, and clusters as connected components: a predicted pair is two documents in one cluster.
docs/s counts the whole job (signatures, bucketing, clustering; for ours the Parquet read and the
Ray Data shuffle, after a warm-up job on one shard so that neither `ray.init` nor the first start of
Ray's worker processes is counted: both are paid once per cluster, not per corpus).

    .venv/bin/python bench/dedup.py [--docs 3000] [--threshold 0.7]
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
from scipy.sparse import csr_matrix

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curation.dedup import DedupConfig, components, run_dedup  # noqa: E402
from curation.embedded import directory_specs, embedded_specs  # noqa: E402
from curation.minhash import MinHashConfig, shingles  # noqa: E402
from curation.sources import SourceError, SourceLimits, ingest  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"
_TOKEN = re.compile(r"\w+|[^\w\s]")


def load_corpus(limit: int, per_repo: int, seed: int) -> tuple[list[str], str]:
    specs = directory_specs(SHARED) if SHARED.is_dir() else embedded_specs(demo=False)
    texts = []
    for spec in specs:
        try:
            items = ingest(spec, SourceLimits(max_files=per_repo, max_file_bytes=64 * 1024))
        except SourceError as err:
            print(f"skipped {spec}: {err}")
            continue
        texts += [f.content for item in items for f in item.files if len(_TOKEN.findall(f.content)) >= 20]
    rng = random.Random(seed)
    rng.shuffle(texts)
    base = texts[: int(limit * 0.85)]
    planted = []
    for i in range(limit - len(base)):
        tokens = _TOKEN.findall(rng.choice(base))
        rate = [0.02, 0.05, 0.1, 0.2][i % 4]
        for j in rng.sample(range(len(tokens)), max(1, int(len(tokens) * rate))):
            tokens[j] = f"edit{rng.randrange(10**6)}"
        planted.append(" ".join(tokens))
    source = f"shared corpus {SHARED}" if SHARED.is_dir() else f"embedded corpus ({len(specs)} packages installed here)"
    return base + planted, source


def true_pairs(texts: list[str], size: int, threshold: float) -> set[tuple[int, int]]:
    """Every pair with exact shingle-set Jaccard >= threshold (sparse incidence product)."""
    rows, cols, vocabulary = [], [], {}
    for i, text in enumerate(texts):
        for s in set(shingles(text, size)):
            rows.append(i)
            cols.append(vocabulary.setdefault(s, len(vocabulary)))
    matrix = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(texts), len(vocabulary)))
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    inter = (matrix @ matrix.T).tocoo()
    pairs = set()
    for i, j, n in zip(inter.row, inter.col, inter.data, strict=True):
        if i < j and n / (sizes[i] + sizes[j] - n) >= threshold:
            pairs.add((int(i), int(j)))
    return pairs


def cluster_pairs(labels: list[int]) -> set[tuple[int, int]]:
    groups: dict[int, list[int]] = {}
    for doc, label in enumerate(labels):
        groups.setdefault(label, []).append(doc)
    return {(a, b) for members in groups.values() for i, a in enumerate(members) for b in members[i + 1 :]}


def run_ours(texts: list[str], config: MinHashConfig, workdir: Path) -> tuple[list[int], float]:
    from backends.pool import ensure_ray

    ensure_ray()
    ids = [f"{i:08d}" for i in range(len(texts))]
    shards = []
    for k in range(0, len(texts), 500):  # Parquet shards, as the store writes them
        path = workdir / f"part-{k:06d}.parquet"
        pq.write_table(pa.table({"file_id": ids[k : k + 500], "repo": ["bench"] * len(ids[k : k + 500]),
                                 "origin": ["dir"] * len(ids[k : k + 500]), "path": ids[k : k + 500],
                                 "content": texts[k : k + 500]}), path)
        shards.append(str(path))
    run_dedup(shards[:1], config=DedupConfig(minhash=config))  # warm-up: Ray Data's workers start and import
    start = time.perf_counter()
    outcome = run_dedup(shards, config=DedupConfig(minhash=config))
    seconds = time.perf_counter() - start
    by_id = {r.doc_id: r.cluster_id for r in outcome.rows}
    names = {c: n for n, c in enumerate(sorted(set(by_id.values())))}
    return [names[by_id[i]] for i in ids], seconds


def run_datasketch(texts: list[str], config: MinHashConfig) -> tuple[list[int], float]:
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    lsh = MinHashLSH(num_perm=config.num_perm, params=(config.bands, config.rows))
    sketches = []
    for i, text in enumerate(texts):
        sketch = MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=xxhash.xxh32_intdigest)
        sketch.update_batch(shingles(text, config.shingle_size))
        lsh.insert(i, sketch)
        sketches.append(sketch)
    edges = [(str(i), str(j)) for i, sketch in enumerate(sketches) for j in lsh.query(sketch)
             if j > i and sketch.jaccard(sketches[j]) >= config.threshold]
    roots = components([str(i) for i in range(len(texts))], edges)
    return [int(roots[str(i)]) for i in range(len(texts))], time.perf_counter() - start


def run_datatrove(texts: list[str], config: MinHashConfig, workdir: Path) -> tuple[list[int], float]:
    import json

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.utils.hashing import HashConfig
    from datatrove.utils.text import TextNormConfig
    from datatrove.utils.word_tokenizers import WordTokenizer

    class CodeTokens(WordTokenizer):
        """Our code tokens, so the shingles are the same as the other two methods'."""

        def word_tokenize(self, text: str) -> list[str]:
            return _TOKEN.findall(text)

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [(0, len(text))]

    data = workdir / "docs"
    data.mkdir()
    with open(data / "docs.jsonl", "w") as out:
        for i, text in enumerate(texts):
            out.write(json.dumps({"id": str(i), "text": text}) + "\n")
    norm = TextNormConfig(lowercase=False, norm_whitespace=False, remove_punctuation=False,
                          norm_unicode_diacritics=False, norm_numbers=False)
    cfg = MinhashConfig(n_grams=config.shingle_size, num_buckets=config.bands, hashes_per_bucket=config.rows,
                        seed=config.seed, norm_config=norm, hash_config=HashConfig(precision=64, hash_fc="sha1"))
    logs = workdir / "logs"
    start = time.perf_counter()
    LocalPipelineExecutor([JsonlReader(str(data)), MinhashDedupSignature(output_folder=str(workdir / "sigs"),
                                                                       config=cfg, language=CodeTokens())],
                          tasks=1, workers=1, logging_dir=str(logs / "s1")).run()
    LocalPipelineExecutor([MinhashDedupBuckets(input_folder=str(workdir / "sigs"),
                                               output_folder=str(workdir / "buckets"), config=cfg)],
                          tasks=cfg.num_buckets, workers=1, logging_dir=str(logs / "s2")).run()
    LocalPipelineExecutor([MinhashDedupCluster(input_folder=str(workdir / "buckets"),
                                               output_folder=str(workdir / "clusters"), config=cfg,
                                               save_cluster_id=True)],
                          tasks=1, workers=1, logging_dir=str(logs / "s3")).run()
    seconds = time.perf_counter() - start
    labels = [-(i + 1) for i in range(len(texts))]  # not in a cluster: its own
    clusters = workdir / "clusters" / "000000.clusters"
    if clusters.exists():
        raw = clusters.read_bytes()
        for doc, cluster in struct.iter_unpack("<2I", raw):
            labels[doc] = cluster
    return labels, seconds


def score(predicted: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    hits = len(predicted & truth)
    return (hits / len(predicted) if predicted else 1.0), (hits / len(truth) if truth else 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--per-repo", type=int, default=400)
    parser.add_argument("--threshold", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=["ours", "datasketch", "datatrove"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    config = MinHashConfig(threshold=args.threshold)
    texts, source = load_corpus(args.docs, args.per_repo, args.seed)
    print(f"{len(texts)} documents from the {source}; {sum(len(t) for t in texts) / 1e6:.1f} MB")
    started = time.perf_counter()
    truth = true_pairs(texts, config.shingle_size, args.threshold)
    print(f"ground truth: {len(truth)} pairs with exact Jaccard >= {args.threshold} "
          f"({time.perf_counter() - started:.1f} s); bands x rows = {config.bands} x {config.rows} "
          f"(implied threshold {config.implied_threshold:.3f})")
    methods: list[tuple[str, Callable[[Path], tuple[list[int], float]]]] = [
        (name, method) for key, name, method in [
            ("ours", "ours: Ray Data batches + shuffle", lambda d: run_ours(texts, config, d)),
            ("datasketch", "datasketch per-document loop", lambda d: run_datasketch(texts, config)),
            ("datatrove", "DataTrove MinHash pipeline", lambda d: run_datatrove(texts, config, d)),
        ] if key in args.methods
    ]
    print("\n| method | seconds | docs/s | pair precision | pair recall |\n|---|---|---|---|---|", flush=True)
    for name, method in methods:
        with tempfile.TemporaryDirectory(prefix="bench-dedup-") as work:
            labels, seconds = method(Path(work))
        precision, recall = score(cluster_pairs(labels), truth)
        print(f"| {name} | {seconds:.1f} | {len(texts) / seconds:.0f} | {precision:.3f} | {recall:.3f} |", flush=True)


if __name__ == "__main__":
    main()
