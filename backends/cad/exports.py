"""Exported STEP/STL files, kept content-addressed under the artifact store's root.

Layout: `<root>/_cad_exports/<sha256 of the bytes>.<step|stl>`, root as `ArtifactStore` finds it
(`FORGE_DATA`, default `data/`, local or any pyarrow filesystem URI). The leading underscore keeps
the directory out of the DuckDB catalog, which takes every directory named like a table for one.
Writing the same bytes again finds the file there and writes nothing; a file is written under a
temporary name and moved, so a crash never leaves half of one. Results reference a file by metrics
(a float map): `<kind>_bytes` and `<kind>_sha256_52`, the first 52 bits of the hash (exact in a
float), which are the file name's first 13 hex digits: `ls <root>/_cad_exports/$(printf %013x <value>)*.step`.
"""

from __future__ import annotations

import functools
import hashlib
import os

import pyarrow.fs as pafs

from schemas.store import DATA_ENV, ArtifactStore

EXPORT_DIR = "_cad_exports"
HASH_BITS_IN_METRIC = 52  # a double holds integers up to 2**53 exactly


@functools.cache
def _store(root: str | None) -> ArtifactStore:
    return ArtifactStore(root)


def export_root() -> str:
    """The export directory under the current data root (local path or filesystem path)."""
    store = _store(os.environ.get(DATA_ENV))
    return f"{store.root}/{EXPORT_DIR}"


def keep(data: bytes, kind: str) -> dict[str, float]:
    """Store one exported file (`kind`: step, stl) by content; its size and hash prefix as metrics.
    The caller reads the bytes from the sandbox's workspace by its rules (no link followed), so
    nothing here opens a path a candidate could have made."""
    digest = hashlib.sha256(data).hexdigest()
    store = _store(os.environ.get(DATA_ENV))
    directory = export_root()
    target = f"{directory}/{digest}.{kind}"
    if store.fs.get_file_info(target).type == pafs.FileType.NotFound:
        store.fs.create_dir(directory, recursive=True)
        staging = f"{target}.{os.getpid()}.tmp"
        with store.fs.open_output_stream(staging) as out:
            out.write(data)
        store.fs.move(staging, target)
    prefix = int(digest[: HASH_BITS_IN_METRIC // 4], 16)
    return {f"{kind}_bytes": float(len(data)), f"{kind}_sha256_52": float(prefix)}
