"""Curation: the front of the DAG, from public code on disk to a clean, deduplicated corpus.

Five stages, each a plain function over records (this package knows nothing of Prefect or Ray's
scheduling; `flows/curation.py` wires them): repo recall (`recall.py`), license filtering
(`licenses.py`), PII and secrets redaction (`secrets.py`), deduplication (`minhash.py`, `dedup.py`,
`forks.py`) and refinement verification (`refine.py`). Inputs come from `sources.py`; the embedded
default corpus (the machine's own Debian packages and Python distributions) from `embedded.py`.
"""
