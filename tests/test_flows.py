"""The Prefect flows end to end on the real backend through Ray: tables, catalog views, reruns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.settings import configure
from schemas.store import ArtifactStore


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ArtifactStore, str]]:
    root = tmp_path_factory.mktemp("demo") / "data"
    configure(str(root))
    from flows.demo import demo_flow
    from flows.runtime import shutdown_pools

    run_id = demo_flow(per_family=1, max_turns=3, data_root=str(root))
    yield ArtifactStore(root), run_id
    shutdown_pools()  # give the CPUs back to the rest of the suite


def test_demo_writes_every_table_with_views(demo_run: tuple[ArtifactStore, str]) -> None:
    store, run_id = demo_run
    assert {"tasks", "seed_checks", "turns", "trajectories"} <= set(store.tables())
    with store.connect() as con:
        trajectories, mismatched = con.execute(
            """SELECT count(*), count(*) FILTER (j.verdict <> t.result.outcome)
               FROM trajectories j JOIN turns t
                 ON t.trajectory_id = j.trajectory_id AND t.turn_index = j.num_turns - 1 AND t.run_id = j.run_id
               WHERE j.run_id = ?""",
            [run_id],
        ).fetchone()
        tasks = con.execute("SELECT count(*) FROM tasks WHERE run_id LIKE 'seeds-%'").fetchone()[0]
        failing_turns = con.execute(
            "SELECT count(*) FROM turns WHERE run_id = ? AND result.outcome <> 'PASS'", [run_id]
        ).fetchone()[0]
    assert trajectories == tasks >= 12 and mismatched == 0
    assert failing_turns > 0  # failed turns are kept


def test_summary_tables(demo_run: tuple[ArtifactStore, str]) -> None:
    from flows.summary import summary

    store, run_id = demo_run
    tables = summary(store, run_id)
    outcomes = {row[0]: row[1] for row in tables["Turns by outcome"][1]}
    columns, rows = tables["Pass rate by turn index"]
    assert "PASS" in {row[0] for row in tables["Trajectories by final verdict"][1]}
    assert sum(row[1] for row in tables["Turns by outcome"][1]) == sum(row[1] for row in rows)
    assert outcomes and rows[0][0] == 0 and "solved_by_this_turn_pct" in columns


def test_rerun_with_same_inputs_reuses_work(demo_run: tuple[ArtifactStore, str]) -> None:
    from flows.demo import demo_flow

    store, run_id = demo_run
    parts = sorted(Path(store.root).rglob("*.parquet"))
    assert demo_flow(per_family=1, max_turns=3, data_root=str(store.root)) == run_id
    assert sorted(Path(store.root).rglob("*.parquet")) == parts
