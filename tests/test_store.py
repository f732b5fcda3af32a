"""The artifact store: content-addressed, atomic, idempotent; the catalog has a view per table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from schemas.artifacts import ExecutionResult
from schemas.outcome import Outcome
from schemas.store import ArtifactStore, StoreError


def _results(n: int, outcome: Outcome = Outcome.PASS) -> list[ExecutionResult]:
    return [ExecutionResult(request_id=f"r{i}", outcome=outcome, diagnostic="", duration_s=0.1) for i in range(n)]


def _parts(store: ArtifactStore) -> list[Path]:
    return sorted(Path(store.root).rglob("*.parquet"))


def test_same_rows_twice_add_nothing(store: ArtifactStore) -> None:
    first = store.write_records(_results(3), "run-a")
    second = store.write_records(_results(3), "run-a")
    assert first.created and not second.created
    assert first.path == second.path
    assert len(_parts(store)) == 1
    assert store.read("execution_results", "run-a").num_rows == 3


def test_parts_are_hive_partitioned_by_run(store: ArtifactStore) -> None:
    store.write_records(_results(2), "run-a")
    store.write_records(_results(1, Outcome.TIMEOUT), "run-b")
    assert store.runs("execution_results") == ["run-a", "run-b"]
    assert all(p.parent.name.startswith("run_id=") for p in _parts(store))
    assert not list(Path(store.root).rglob(".tmp-*"))
    back = store.read_records(ExecutionResult, "run-b")
    assert [r.outcome for r in back] == [Outcome.TIMEOUT]


def test_catalog_has_one_view_per_table(store: ArtifactStore) -> None:
    store.write_records(_results(2), "run-a")
    store.write_records(_results(1, Outcome.TIMEOUT), "run-b")
    with duckdb.connect(str(store.catalog_path), read_only=True) as con:
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
        assert "execution_results" in views
        rows = con.execute(
            "SELECT run_id, outcome, count(*) FROM execution_results GROUP BY ALL ORDER BY run_id"
        ).fetchall()
    assert rows == [("run-a", "PASS", 2), ("run-b", "TIMEOUT", 1)]


def test_busy_catalog_loses_no_data(store: ArtifactStore) -> None:
    store.write_records(_results(1), "run-a")
    analyst = duckdb.connect(str(store.catalog_path))  # holds the write lock, as `duckdb data/catalog.duckdb`
    try:
        receipt = store.write_records(_results(2), "run-b")
    finally:
        analyst.close()
    assert receipt.created
    assert store.read("execution_results").num_rows == 3


def test_bad_run_id_and_unknown_run_are_clear_errors(store: ArtifactStore) -> None:
    with pytest.raises(StoreError, match="invalid run id"):
        store.write_records(_results(1), "../escape")
    store.write_records(_results(1), "run-a")
    with pytest.raises(StoreError, match="no table 'execution_results' for run 'nope'"):
        store.read("execution_results", "nope")
