"""Reading and writing the curation tables through the artifact store (what the flow's tasks share).

Files are written in parts of `PART_ROWS` rows, so a stage's memory for writing is bounded by a part,
and read back per run. `upstream_run` finds the run holding a table by following the lineage
(`runs` table) from a later run, so a stage run alone on an earlier stage's output still finds the
repository records the sources stage wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs

from curation.records import CodeFile, CurationFile, DedupRow, FileDecision, LicenseVerdict, Repository
from schemas.artifacts import Run, Task
from schemas.store import ArtifactStore, StoreError

PART_ROWS = 2000
SEEDS_TABLE = Task.TABLE
LITERATURE_TABLES = ("literature_snippets", "snippets")  # a `code` or `content` column per snippet


def write_files(store: ArtifactStore, table: str, run_id: str, files: Sequence[CodeFile]) -> int:
    for start in range(0, len(files), PART_ROWS):
        store.write(table, run_id, CodeFile.to_table(files[start : start + PART_ROWS]))
    return len(files)


def read_files(store: ArtifactStore, table: str, run_id: str) -> list[CodeFile]:
    if not store.has(table, run_id):
        return []
    return CodeFile.from_table(store.read(table, run_id), source=f"{table} run {run_id}")


def shard_paths(store: ArtifactStore, table: str, run_id: str) -> list[str]:
    """The Parquet parts of one run of a table (what Ray Data reads)."""
    if not store.has(table, run_id):
        raise StoreError(f"no {table} in run {run_id}: run the stage before it first")
    selector = pafs.FileSelector(f"{store.root}/{table}/run_id={run_id}")
    return sorted(i.path for i in store.fs.get_file_info(selector) if i.path.endswith(".parquet"))


def upstream_run(store: ArtifactStore, table: str, run_id: str) -> str:
    """`run_id` if it holds `table`, else the nearest ancestor run (by the lineage records) that does."""
    frontier, seen = [run_id], set()
    runs = store.read(Run.TABLE).to_pylist() if Run.TABLE in store.tables() else []
    parents: dict[str, set[str]] = {}
    for row in runs:
        parents.setdefault(row["run_id"], set()).update(row["parent_ids"])
    while frontier:
        current = frontier.pop(0)
        if store.has(table, current):
            return current
        seen.add(current)
        frontier += sorted(parents.get(current, set()) - seen)
    raise StoreError(f"no {table} in run {run_id} nor in the runs it was built from")


def decisions(stage: str, results: dict[str, tuple[bool, str]], files: Sequence[CodeFile]) -> list[FileDecision]:
    """One decision row per file: `results` maps file id -> (kept, reason)."""
    return [FileDecision(stage=stage, parent_ids=[f.file_id], file_id=f.file_id, repo=f.repo, path=f.path,
                         kept=results[f.file_id][0], reason=results[f.file_id][1]) for f in files]


def reference_documents(store: ArtifactStore, runs: Iterable[str]) -> pa.Table | None:
    """Cross-source references as CodeFile columns: seed tasks' golden references (origin `seeds`)
    and literature snippets (origin `literature`) of the given runs."""
    rows = []
    for run_id in runs:
        if store.has(SEEDS_TABLE, run_id):
            for task in store.read_records(Task, run_id):
                rows.append({"file_id": f"seed-{task.task_id}", "repo": f"seeds:{task.domain}", "origin": "seeds",
                             "path": f"{task.family}/{task.task_id}", "content": task.reference})
        for table in LITERATURE_TABLES:
            if store.has(table, run_id):
                data = store.read(table, run_id)
                column = "code" if "code" in data.column_names else "content"
                for index, text in enumerate(data.column(column).to_pylist()):
                    rows.append({"file_id": f"lit-{run_id}-{index}", "repo": f"literature:{run_id}",
                                 "origin": "literature", "path": f"{table}/{index}", "content": text or ""})
        if not any(store.has(t, run_id) for t in (SEEDS_TABLE, *LITERATURE_TABLES)):
            wanted = "/".join((SEEDS_TABLE, *LITERATURE_TABLES))
            raise StoreError(f"run {run_id} has no {wanted} table to deduplicate against")
    return pa.Table.from_pylist(rows) if rows else None


_ANNOTATIONS = ("domain", "recall_step", "license_spdx", "license_class", "redactions", "cluster_id")


def ledger(store: ArtifactStore, stage_runs: dict[str, str], stage_tables: dict[str, str]) -> list[CurationFile]:
    """One row per source file with every stage's verdict; `stage_runs`: stage -> run id, in order."""
    sources = store.read(stage_tables["sources"], stage_runs["sources"]).select(
        ["file_id", "repo", "origin", "path", "language"]).to_pylist()
    rows = {r["file_id"]: {**r, "domain": "", "recall_step": "", "license_spdx": "", "license_class": "",
                           "redactions": 0, "cluster_id": "", "drop_stage": "", "drop_reason": ""} for r in sources}
    for stage, run_id in stage_runs.items():
        table = stage_tables.get(stage)
        if stage != "sources" and table and store.has(table, run_id):
            for row in store.read(table, run_id).select(["file_id", *_ANNOTATIONS]).to_pylist():
                rows[row["file_id"]].update({k: row[k] for k in _ANNOTATIONS if row[k] not in ("", None, 0)})
        if store.has(FileDecision.TABLE, run_id):
            dropped = store.read(FileDecision.TABLE, run_id).filter(pc.invert(pc.field("kept")))
            for row in dropped.select(["file_id", "reason"]).to_pylist():
                if row["file_id"] in rows and not rows[row["file_id"]]["drop_stage"]:
                    rows[row["file_id"]].update(drop_stage=stage, drop_reason=row["reason"])
        if stage == "licenses" and store.has(LicenseVerdict.TABLE, run_id):
            verdicts = {v.repo: v for v in store.read_records(LicenseVerdict, run_id)}
            for row in rows.values():
                verdict = verdicts.get(row["repo"])
                if verdict and not row["license_class"]:
                    row.update(license_spdx=verdict.license_spdx, license_class=verdict.license_class)
        if stage == "dedup" and store.has(DedupRow.TABLE, run_id):
            for row in store.read(DedupRow.TABLE, run_id).select(["doc_id", "cluster_id"]).to_pylist():
                if row["doc_id"] in rows:
                    rows[row["doc_id"]]["cluster_id"] = row["cluster_id"]
    return [CurationFile(stage="curation", parent_ids=[r["file_id"]], kept=not r["drop_stage"], **r)
            for r in rows.values()]


def repositories(store: ArtifactStore, run_id: str) -> list[Repository]:
    return store.read_records(Repository, upstream_run(store, Repository.TABLE, run_id))
