"""Operators' and analysts' ways in: catalog views and their docs, run lineage, reports, progress.

`demo_data` builds the demo data once per test session (the export and notebook tests reuse it);
everything here checks the views and the lineage against the rows themselves, not against numbers
copied from a run.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import groupby
from pathlib import Path

import pyarrow as pa
import pytest

from flows.lineage import record_run, rows_written, run_table
from schemas.artifacts import Run, Trajectory, Turn
from schemas.store import ArtifactStore
from schemas.views import VIEWS

DOCS = Path(__file__).resolve().parents[1] / "docs" / "catalog.md"


def demo_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[ArtifactStore, str]:
    """(store, ECoT run id) of the demo's two flows on Verilog (one design per family, 3 turns), run
    once per session: the first module to ask builds it under the session's base temp dir, later
    ones find it there. Verilog only: the other domains' toolchains (CAD, QEMU) would make this
    fixture minutes long on a 2-core machine, and nothing here depends on which domain it is."""
    base = tmp_path_factory.getbasetemp() / "operators-demo"
    root, marker = base / "data", base / "ecot-run-id"
    if not marker.exists():
        from flows.settings import configure

        configure(str(root))
        from flows.ecot_rollouts import ecot_rollouts_flow
        from flows.runtime import shutdown_pools
        from flows.seed_tasks import seed_tasks_flow

        try:
            seeds_run = seed_tasks_flow(domains=["verilog"], per_family=1, data_root=str(root))
            run_id = ecot_rollouts_flow(seeds_run, max_turns=3, data_root=str(root))
        finally:
            shutdown_pools()  # give the CPUs back to the rest of the suite
        marker.write_text(run_id)
    return ArtifactStore(root), marker.read_text()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[ArtifactStore, str]:
    return demo_data(tmp_path_factory)


def dedup_rows(store: ArtifactStore, run_id: str) -> None:
    """A minimal `dedup` table (the columns the views read): 2 sources, clusters of 3, 1 and 2."""
    store.write(
        "dedup",
        run_id,
        pa.table(
            {
                "doc_id": ["a1", "a2", "a3", "a4", "b1", "b2"],
                "source": ["repo-a", "repo-a", "repo-a", "repo-a", "repo-b", "repo-b"],
                "cluster_id": ["c1", "c1", "c1", "c2", "c3", "c3"],
                "kept": [True, False, False, True, True, False],
            }
        ),
    )


def _views(store: ArtifactStore) -> set[str]:
    with store.connect() as con:
        return {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


def test_every_view_over_the_demo_binds(demo: tuple[ArtifactStore, str]) -> None:
    store, _ = demo
    expected = {v.name for v in VIEWS if "dedup" not in v.needs}
    assert expected <= _views(store)
    assert not {"dedup_cluster_sizes", "dedup_savings_by_source"} & _views(store)  # no dedup table yet


def test_pass_rate_view_agrees_with_trajectories(demo: tuple[ArtifactStore, str]) -> None:
    store, run_id = demo
    trajectories = store.read_records(Trajectory, run_id)
    with store.connect() as con:
        rows = con.execute(
            """SELECT domain, turn_index, trajectories, turns, passed, solved_by_turn FROM pass_rate_by_domain_turn
               WHERE run_id = ? ORDER BY domain, turn_index""",
            [run_id],
        ).fetchall()
    for domain, group in groupby(rows, key=lambda r: r[0]):
        group = list(group)
        of_domain = [t for t in trajectories if t.domain == domain]
        assert group[0][2] == group[0][3] == len(of_domain)  # every trajectory runs turn 0
        solved = sum(t.verdict == "PASS" for t in of_domain)
        assert group[-1][5] == pytest.approx(solved / len(of_domain), abs=1e-4)
        for _, index, _, turns, passed, _ in group:
            assert turns == sum(t.num_turns > index for t in of_domain)
            assert passed == sum(t.num_turns == index + 1 and t.verdict == "PASS" for t in of_domain)


def test_outcome_fault_and_length_views_agree_with_turns(demo: tuple[ArtifactStore, str]) -> None:
    store, run_id = demo
    turns = store.read_records(Turn, run_id)
    with store.connect() as con:
        mix = con.execute("SELECT domain, outcome, turns, share FROM outcome_mix_by_domain WHERE run_id = ?", [run_id])
        mix = mix.fetchall()
        faults = con.execute(
            "SELECT fault_kind, first_outcome, trajectories FROM fault_kind_first_outcome WHERE run_id = ?", [run_id]
        ).fetchall()
        lengths = con.execute(
            "SELECT turn_id, reasoning_chars, reasoning_tokens FROM reasoning_lengths WHERE run_id = ?", [run_id]
        ).fetchall()
        medians = con.execute(
            "SELECT domain, chars_median FROM thinking_length_by_domain WHERE run_id = ?", [run_id]
        ).fetchall()
    assert {(d, o): n for d, o, n, _ in mix} == Counter((t.domain, t.result.outcome.value) for t in turns)
    for domain in {t.domain for t in turns}:
        assert sum(share for d, _, _, share in mix if d == domain) == pytest.approx(1.0, abs=1e-3)
    expected = Counter((k, t.result.outcome.value) for t in turns if t.turn_index == 0 for k in t.fault_kinds)
    assert expected and {(k, o): n for k, o, n in faults} == expected
    by_id = {t.turn_id: t for t in turns}
    assert len(lengths) == len(turns)
    for turn_id, chars, tokens in lengths:
        assert chars == len(by_id[turn_id].reasoning) and tokens == len(by_id[turn_id].reasoning.split())
    assert all(median > 0 for _, median in medians)


def test_dedup_views_appear_with_the_dedup_table(store: ArtifactStore) -> None:
    dedup_rows(store, "dedup-test")
    with store.connect() as con:
        savings = con.execute(
            "SELECT source, documents, kept, dropped, saved_share FROM dedup_savings_by_source ORDER BY source"
        ).fetchall()
        sizes = con.execute("SELECT cluster_id, size FROM dedup_cluster_sizes ORDER BY cluster_id").fetchall()
    assert savings == [("repo-a", 4, 2, 2, 0.5), ("repo-b", 2, 1, 1, 0.5)]
    assert sizes == [("c1", 3), ("c2", 1), ("c3", 2)]


def _documented_columns() -> dict[str, set[str]]:
    sections: dict[str, set[str]] = {}
    for block in re.split(r"^### ", DOCS.read_text(), flags=re.MULTILINE)[1:]:
        name = block.split()[0]
        sections[name] = set(re.findall(r"^\| `([\w.]+)` \|", block, flags=re.MULTILINE))
    return sections


def _catalog_columns(store: ArtifactStore) -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    with store.connect() as con:
        for name in _views(store):
            described = con.execute(f"DESCRIBE {name}").fetchall()
            columns[name] = {c for c, *_ in described}
            for column, kind, *_ in described:  # struct fields as `column.field`
                if kind.startswith("STRUCT("):
                    fields = re.findall(r"[(,] ?(\w+) ", kind)
                    columns[name] |= {f"{column}.{field}" for field in fields}
    return columns


def test_docs_describe_every_table_view_and_column(demo: tuple[ArtifactStore, str], tmp_path: Path) -> None:
    store, _ = demo
    documented = _documented_columns()
    with_dedup = ArtifactStore(tmp_path / "dedup-data")
    dedup_rows(with_dedup, "dedup-test")
    catalog = {**_catalog_columns(store), **_catalog_columns(with_dedup)}
    assert {v.name for v in VIEWS} <= set(catalog)
    for name, columns in sorted(catalog.items()):
        assert name in documented, f"docs/catalog.md has no section '### {name}'"
        undocumented = sorted(columns - documented[name])
        assert not undocumented, f"docs/catalog.md, section {name}: undocumented columns {undocumented}"


def test_runs_record_lineage_and_rows(demo: tuple[ArtifactStore, str]) -> None:
    store, run_id = demo
    runs = {r.run_id: r for r in run_table(store)}
    ecot = runs[run_id]
    (seeds_run,) = ecot.parents
    assert ecot.flow == "ecot_rollouts" and runs[seeds_run].flow == "seed_tasks"
    assert ecot.rows == {table: store.read(table, run_id).num_rows for table in ("turns", "trajectories")}
    assert runs[seeds_run].rows["tasks"] == store.read("tasks", seeds_run).num_rows
    assert ecot.parameters["tasks_run"] == seeds_run and ecot.parameters["max_turns"] == 3
    assert int(ecot.counts["turns"]) == ecot.rows["turns"]


def test_forge_runs_lists_runs_and_lineage(demo: tuple[ArtifactStore, str], capsys: pytest.CaptureFixture) -> None:
    from flows.cli import main

    store, run_id = demo
    seeds_run = next(r for r in run_table(store) if r.run_id == run_id).parents[0]
    assert main(["--data", str(store.root), "runs"]) == 0
    listing = capsys.readouterr().out
    assert listing.index(seeds_run) < listing.index(run_id)  # oldest first
    assert f"from:  {seeds_run}" in listing
    assert main(["--data", str(store.root), "runs", seeds_run]) == 0
    assert f"built on it: {run_id} (ecot_rollouts)" in capsys.readouterr().out


def test_forge_sql_prints_a_view_and_names_a_bad_query(
    demo: tuple[ArtifactStore, str], capsys: pytest.CaptureFixture
) -> None:
    from flows.cli import main

    store, run_id = demo
    assert main(["--data", str(store.root), "sql", f"SELECT domain, passed FROM pass_rate_by_domain_turn "
                 f"WHERE run_id = '{run_id}' AND turn_index = 0"]) == 0
    assert "verilog" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="query failed on .*catalog.duckdb: .*no_such_column"):
        main(["--data", str(store.root), "sql", "SELECT no_such_column FROM turns"])


def test_newest_run_record_wins_and_unrecorded_runs_are_listed(store: ArtifactStore) -> None:
    for flow, day in (("x", "01"), ("y", "02")):
        run = Run(stage=flow, parameters="{}", created_at=f"2026-01-{day}T00:00:00+00:00", rows={}, counts={})
        store.write_records([run], "r1")
    store.write("other", "r0", pa.table({"a": [1, 2]}))
    runs = run_table(store)
    assert [(r.run_id, r.flow) for r in runs] == [("r1", "y"), ("r0", "")]
    assert runs[1].rows == {"other": 2}
    recorded = record_run(store, "r0", "later", {"k": 1}, ["r1"], {"n": 2})
    assert recorded.rows == rows_written(store, "r0") == {"other": 2}


def test_report_links_every_table_of_the_run(demo: tuple[ArtifactStore, str]) -> None:
    from flows.report import catalog_section

    store, run_id = demo
    section = catalog_section(store, run_id)
    for table, rows in rows_written(store, run_id).items():
        uri = (Path(store.root) / table / f"run_id={run_id}").as_uri()
        assert f"| {table} | {rows} | [{table}/run_id={run_id}]({uri}) |" in section
        assert f"SELECT * FROM {table} WHERE run_id = '{run_id}'" in section
        assert Path(store.root, table, f"run_id={run_id}").is_dir()


def test_progress_counts_finished_trajectories(demo: tuple[ArtifactStore, str]) -> None:
    from flows.progress import RolloutProgress

    store, run_id = demo
    turns = sorted(store.read_records(Turn, run_id), key=lambda t: t.turn_index)
    trajectories = store.read_records(Trajectory, run_id)
    with RolloutProgress("test-progress", len(trajectories), 3) as progress:
        for index, batch in groupby(turns, key=lambda t: t.turn_index):
            progress.update(list(batch))
            ended = sum(t.num_turns <= index + 1 for t in trajectories)
            assert progress.finished == ended
    assert progress.finished == len(trajectories)


def test_cached_rerun_adds_no_lineage_row(demo: tuple[ArtifactStore, str]) -> None:
    from flows.ecot_rollouts import ecot_rollouts_flow

    store, run_id = demo
    seeds_run = next(r for r in run_table(store) if r.run_id == run_id).parents[0]
    parts = sorted(Path(store.root).rglob("*.parquet"))
    assert ecot_rollouts_flow(seeds_run, max_turns=3, data_root=str(store.root)) == run_id
    assert sorted(Path(store.root).rglob("*.parquet")) == parts
    assert store.read(Run.TABLE, run_id).num_rows == 1
