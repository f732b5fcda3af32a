"""The artifact store: content-addressed Parquet parts under a data root, and a DuckDB catalog.

Layout: `<root>/<table>/run_id=<id>/part-<content-hash>.parquet`. A part is serialised in memory,
named by the hash of its bytes, written under a temporary name and renamed: a crash never leaves a
half part, and writing the same rows again finds the part already there and adds nothing. The root
is `FORGE_DATA` (default `data/`), a local path or any URI pyarrow's filesystems open (`s3://...`).

`<root>/catalog.duckdb` (local roots only) holds one view per table over a glob of its parts, so new
parts are visible at once; views are recreated on every write so a new table appears too, with the
convenience views of `schemas/views.py` over them (docs/catalog.md describes both).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from schemas.record import Record, records_table
from schemas.views import create_views

log = logging.getLogger(__name__)

DATA_ENV = "FORGE_DATA"
CATALOG_FILE = "catalog.duckdb"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

R = TypeVar("R", bound=Record)


class StoreError(RuntimeError):
    """A store operation that cannot proceed; the message says which table/run and why."""


@dataclass(frozen=True)
class WriteReceipt:
    """Where a write went; `created` is False when an identical part was already stored."""

    table: str
    run_id: str
    path: str
    rows: int
    created: bool


def _check_name(kind: str, value: str) -> str:
    if not _NAME.match(value):
        raise StoreError(f"invalid {kind} {value!r}: use letters, digits, '_', '.', '-' (no '/' or '=')")
    return value


class ArtifactStore:
    """Parquet parts per table and run, plus the DuckDB catalog over them."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        root = str(root or os.environ.get(DATA_ENV, "data"))
        if "://" in root:
            self.fs, self.root = pafs.FileSystem.from_uri(root)
            self.local_root: Path | None = None
        else:
            self.local_root = Path(root).resolve()
            self.local_root.mkdir(parents=True, exist_ok=True)
            self.fs, self.root = pafs.LocalFileSystem(), str(self.local_root)

    @property
    def catalog_path(self) -> Path | None:
        return self.local_root / CATALOG_FILE if self.local_root else None

    def _run_dir(self, table: str, run_id: str) -> str:
        return f"{self.root}/{_check_name('table', table)}/run_id={_check_name('run id', run_id)}"

    def write(self, table: str, run_id: str, data: pa.Table) -> WriteReceipt:
        """Store `data` as one part of `table` in `run_id`; identical data is stored once."""
        buffer = io.BytesIO()
        pq.write_table(data, buffer, compression="zstd")
        payload = buffer.getvalue()
        directory = self._run_dir(table, run_id)
        path = f"{directory}/part-{hashlib.sha256(payload).hexdigest()[:20]}.parquet"
        created = self.fs.get_file_info(path).type == pafs.FileType.NotFound
        if created:
            self.fs.create_dir(directory, recursive=True)
            temporary = f"{directory}/.tmp-{uuid.uuid4().hex}"
            with self.fs.open_output_stream(temporary) as out:
                out.write(payload)
            self.fs.move(temporary, path)
            self.refresh_catalog()
        return WriteReceipt(table, run_id, path, data.num_rows, created)

    def write_records(self, records: Sequence[Record], run_id: str) -> WriteReceipt:
        table, data = records_table(records)
        return self.write(table, run_id, data)

    def tables(self) -> list[str]:
        selector = pafs.FileSelector(self.root, allow_not_found=True)
        return sorted(
            Path(info.path).name
            for info in self.fs.get_file_info(selector)
            if info.type == pafs.FileType.Directory and _NAME.match(Path(info.path).name)
        )

    def runs(self, table: str) -> list[str]:
        selector = pafs.FileSelector(f"{self.root}/{_check_name('table', table)}", allow_not_found=True)
        names = [Path(i.path).name for i in self.fs.get_file_info(selector) if i.type == pafs.FileType.Directory]
        return sorted(n.removeprefix("run_id=") for n in names if n.startswith("run_id="))

    def has(self, table: str, run_id: str) -> bool:
        return run_id in self.runs(table)

    def read(self, table: str, run_id: str | None = None) -> pa.Table:
        """All parts of `table` (one run, or every run) with `run_id` as a column."""
        base = f"{self.root}/{_check_name('table', table)}"
        if run_id is not None and not self.has(table, run_id):
            raise StoreError(f"no table {table!r} for run {run_id!r} under {self.root} (runs: {self.runs(table)})")
        partitioning = ds.partitioning(pa.schema([("run_id", pa.string())]), flavor="hive")
        dataset = ds.dataset(
            base, filesystem=self.fs, format="parquet", partitioning=partitioning
        )
        expression = ds.field("run_id") == run_id if run_id is not None else None
        return dataset.to_table(filter=expression)

    def read_records(self, kind: type[R], run_id: str | None = None) -> list[R]:
        return kind.from_table(self.read(kind.TABLE, run_id), source=f"{self.root}/{kind.TABLE} run {run_id}")

    def refresh_catalog(self) -> None:
        """Recreate one view per table; a catalog held open by an analyst is left for the next write."""
        if self.catalog_path is None:
            return
        try:
            with duckdb.connect(str(self.catalog_path)) as con:
                tables = self.tables()
                for table in tables:
                    glob = f"{self.root}/{table}/*/*.parquet"
                    con.execute(
                        f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{glob}', "
                        "hive_partitioning = true, hive_types = {'run_id': VARCHAR}, union_by_name = true)"
                    )
                create_views(con, set(tables))
        except duckdb.IOException as err:
            log.warning("catalog %s busy, views refresh on the next write: %s", self.catalog_path, err)

    def connect(self, read_only: bool = True) -> duckdb.DuckDBPyConnection:
        """A connection to the catalog (views over every table)."""
        if self.catalog_path is None:
            raise StoreError(f"the catalog needs a local data root, not {self.root}")
        if not self.catalog_path.exists():
            self.refresh_catalog()
        return duckdb.connect(str(self.catalog_path), read_only=read_only)
