"""The synthesis flow through Prefect and Ray: its tables and counts, the cache, and ECoT on its tasks.

Marked slow (Prefect's server and a Ray cluster start here: 1.5-4 min on the shared 2-core machine);
the stage logic it schedules is covered in-process by test_synthesis_verify.py. Run it with
`pytest -m slow tests/test_synthesis_flow.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flows.settings import configure
from schemas.store import ArtifactStore

pytestmark = pytest.mark.slow

CURATED = """// Two-flop synchronizer for an asynchronous door-interlock input.
module sync2 (input clk, input rst, input async_in, output reg sync_out);
    reg meta;
    always @(posedge clk) begin
        if (rst) begin meta <= 1'b0; sync_out <= 1'b0; end
        else begin meta <= async_in; sync_out <= meta; end
    end
endmodule
"""


@pytest.fixture(scope="module")
def synthesis_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ArtifactStore, str, dict]]:
    root = tmp_path_factory.mktemp("synthesis") / "data"
    sources = tmp_path_factory.mktemp("sources")
    (sources / "sync2.v").write_text(CURATED)
    configure(str(root))
    from flows.runtime import shutdown_pools
    from flows.synthesis import synthesis_flow

    kwargs = {"domains": ["verilog"], "scenarios_per_domain": 1, "perturbations": 0, "mutation_check": False,
              "sources_dir": str(sources), "data_root": str(root)}  # fmt: skip
    run_id = synthesis_flow(**kwargs)
    yield ArtifactStore(root), run_id, kwargs
    shutdown_pools()


def test_flow_stores_tasks_origins_checks_and_qa(synthesis_run: tuple[ArtifactStore, str, dict]) -> None:
    store, run_id, _ = synthesis_run
    assert run_id.startswith("synth-")
    with store.connect() as con:
        origins = dict(con.execute("SELECT origin, count(*) FROM task_origins WHERE run_id = ? GROUP BY 1",
                                   [run_id]).fetchall())  # fmt: skip
        tasks, checks = (con.execute(f"SELECT count(*) FROM {t} WHERE run_id = ?", [run_id]).fetchone()[0]
                         for t in ("tasks", "seed_checks"))  # fmt: skip
        verdicts = dict(con.execute("SELECT verdict, count(*) FROM qa_pairs WHERE run_id = ? GROUP BY 1",
                                    [run_id]).fetchall())  # fmt: skip
        counts = con.execute("SELECT counts FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
    assert origins == {"scenario": 1, "repo": 1} and tasks == checks == 2
    assert verdicts.get("confirmed", 0) >= 2 and set(verdicts) <= {"confirmed", "refuted", "unverifiable"}
    counts = dict(counts)
    assert counts["verified"] == "2" and counts["verilog generated"] == "2" and counts["qa pairs"] == str(
        sum(verdicts.values()))


def test_rerun_is_answered_from_the_cache(synthesis_run: tuple[ArtifactStore, str, dict]) -> None:
    from flows.synthesis import synthesis_flow

    store, run_id, kwargs = synthesis_run
    before = {t: store.read(t, run_id).num_rows for t in ("tasks", "qa_pairs", "runs")}
    assert synthesis_flow(**kwargs) == run_id
    assert {t: store.read(t, run_id).num_rows for t in before} == before


def test_ecot_runs_unchanged_on_synthesized_tasks(synthesis_run: tuple[ArtifactStore, str, dict]) -> None:
    from flows.ecot_rollouts import ecot_rollouts_flow

    store, run_id, kwargs = synthesis_run
    ecot = ecot_rollouts_flow(run_id, max_turns=2, data_root=kwargs["data_root"])
    with store.connect() as con:
        trajectories = con.execute("SELECT count(*) FROM trajectories WHERE run_id = ?", [ecot]).fetchone()[0]
    assert trajectories == 2
