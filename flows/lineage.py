"""Run lineage for `forge runs`: which flow wrote a run, from which earlier runs, and what it produced.

Each stage records one `Run` row at the end of its cached work (`record_run`); `run_table` reads
them back, newest record per run, and adds the runs found in the tables that have no record (data
written before lineage was recorded), so the listing is complete either way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow.dataset as ds
from rich.console import Console
from rich.table import Table

from schemas.artifacts import Run
from schemas.store import ArtifactStore


@dataclass(frozen=True)
class RunInfo:
    """One run as `forge runs` shows it; `flow` is empty for a run written before lineage existed."""

    run_id: str
    flow: str
    created_at: str
    parents: tuple[str, ...]
    rows: dict[str, int]
    parameters: dict[str, object]
    counts: dict[str, str]


def rows_written(store: ArtifactStore, run_id: str) -> dict[str, int]:
    """Rows per table in `run_id`'s partitions, from the Parquet footers (no data is read)."""
    rows = {}
    for table in store.tables():
        if table != Run.TABLE and store.has(table, run_id):
            path = f"{store.root}/{table}/run_id={run_id}"
            rows[table] = ds.dataset(path, filesystem=store.fs, format="parquet").count_rows()
    return rows


def record_run(
    store: ArtifactStore,
    run_id: str,
    flow: str,
    parameters: Mapping[str, object],
    parents: list[str],
    counts: Mapping[str, object],
) -> Run:
    """Store the lineage row of `run_id`; call it last in the stage's work, after its tables are written."""
    run = Run(
        stage=flow,
        parent_ids=parents,
        parameters=json.dumps(parameters, sort_keys=True, default=str),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        rows=rows_written(store, run_id),
        counts={k: str(v) for k, v in counts.items()},
    )
    store.write_records([run], run_id)
    return run


def run_table(store: ArtifactStore) -> list[RunInfo]:
    """Every run under the store, oldest first (runs with no lineage row last, by id)."""
    recorded: dict[str, RunInfo] = {}
    if Run.TABLE in store.tables():
        rows = store.read(Run.TABLE).to_pylist()
        for row in sorted(rows, key=lambda r: r["created_at"]):  # the newest record of a run wins
            recorded[row["run_id"]] = RunInfo(
                run_id=row["run_id"],
                flow=row["stage"],
                created_at=row["created_at"],
                parents=tuple(row["parent_ids"]),
                rows=dict(row["rows"]),
                parameters=json.loads(row["parameters"]),
                counts=dict(row["counts"]),
            )
    unrecorded = sorted({r for t in store.tables() if t != Run.TABLE for r in store.runs(t)} - set(recorded))
    listed = sorted(recorded.values(), key=lambda r: (r.created_at, r.run_id))
    return listed + [RunInfo(r, "", "", (), rows_written(store, r), {}, {}) for r in unrecorded]


def descendants(runs: list[RunInfo], run_id: str) -> list[RunInfo]:
    """Runs built, directly or not, on `run_id`."""
    found: list[RunInfo] = []
    frontier = {run_id}
    while frontier:
        children = [r for r in runs if frontier & set(r.parents) and r not in found]
        found.extend(children)
        frontier = {r.run_id for r in children}
    return found


def ancestors(runs: list[RunInfo], run_id: str) -> list[RunInfo]:
    """The runs `run_id` was built from, nearest first."""
    by_id = {r.run_id: r for r in runs}
    found: list[RunInfo] = []
    frontier = list(by_id[run_id].parents) if run_id in by_id else []
    while frontier:
        parent = by_id.get(frontier.pop(0))
        if parent is not None and parent not in found:
            found.append(parent)
            frontier.extend(parent.parents)
    return found


def _rows(rows: dict[str, int]) -> str:
    return ", ".join(f"{table} {n}" for table, n in sorted(rows.items()))


def print_runs(store: ArtifactStore, console: Console | None = None) -> None:
    """`forge runs`: every run, the flow that wrote it, the runs it was built from, what it produced."""
    console = console or Console(soft_wrap=True)
    console.print(f"Runs under {store.root}, oldest first:")
    for run in run_table(store):
        console.print(f"[bold]{run.run_id}[/bold]  {run.flow or '? (no lineage row)'}  {run.created_at}")
        console.print(f"    from:  {', '.join(run.parents) or '-'}")
        console.print(f"    wrote: {_rows(run.rows) or '-'}")


def print_run(store: ArtifactStore, run_id: str, console: Console | None = None) -> None:
    """`forge runs RUN`: the run's parameters and counts, the runs it came from and the runs built on it."""
    console = console or Console(soft_wrap=True)
    runs = run_table(store)
    run = next((r for r in runs if r.run_id == run_id), None)
    if run is None:
        raise SystemExit(f"no run {run_id!r} under {store.root}; `forge runs` lists them")
    console.print(f"[bold]{run.run_id}[/bold]  flow {run.flow or '?'}  created {run.created_at or '?'}")
    console.print(f"parameters: {json.dumps(run.parameters, sort_keys=True)}")
    console.print(f"rows written: {_rows(run.rows)}")
    counts = Table(title="counts")
    counts.add_column("count")
    counts.add_column("value")
    for name, value in run.counts.items():
        counts.add_row(name, value)
    console.print(counts)
    for title, related in (("built from", ancestors(runs, run_id)), ("built on it", descendants(runs, run_id))):
        names = ", ".join(f"{r.run_id} ({r.flow or '?'})" for r in related) or "none"
        console.print(f"{title}: {names}")
