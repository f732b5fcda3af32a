"""The curation flow end to end (Prefect, scancode, Ray Data) on the planted corpus, and on
../shared/corpus when it is there: forks consolidated, near-duplicates clustered, cross-source
copies of seeds dropped, the planted AWS key and e-mail redacted, the GPL repository dropped, and
the catalog showing files by domain, license class, drop reason and cluster.

Marked slow: it starts Prefect, loads scancode's license index and starts Ray (Ray Data's shuffle),
~1.5 min on an idle 2-core machine, up to ~9 min when the machine is loaded (load average 20-40).
The fast suite covers each stage's logic on the same planted cases without Ray.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.settings import configure
from schemas.store import ArtifactStore
from tests.test_curation_planted import AWS_KEY, EMAIL, Planted, build_corpus

pytestmark = pytest.mark.slow

SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SEEDS_RUN = "seeds-planted"


@pytest.fixture(scope="module")
def curated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ArtifactStore, str, Planted]]:
    root = tmp_path_factory.mktemp("curation") / "data"
    configure(str(root))
    from flows.curation import curation_flow

    planted = build_corpus(tmp_path_factory.mktemp("corpus"))
    store = ArtifactStore(root)
    store.write_records([planted.seed_copy], SEEDS_RUN)
    specs = [f"dir:{planted.root / name}" for name in ("rtl-core", "rtl-core-fork", "rtl-other", "rtl-gpl", "tools")]
    run_id = curation_flow(specs, max_files=None, against=[SEEDS_RUN], data_root=str(root))
    yield store, run_id, planted


def _ledger(store: ArtifactStore, run_id: str) -> dict[tuple[str, str], dict]:
    rows = store.read("curation_files", run_id).to_pylist()
    return {(r["repo"], r["path"]): r for r in rows}


def test_gpl_repository_dropped_and_permissive_kept(curated: tuple[ArtifactStore, str, Planted]) -> None:
    store, run_id, _ = curated
    ledger = _ledger(store, run_id)
    gpl = [r for (repo, _), r in ledger.items() if repo == "dir:rtl-gpl" and r["recall_step"]]
    assert len(gpl) == 3 and all(r["drop_stage"] == "licenses" and r["license_class"] == "copyleft" for r in gpl)
    assert all(r["license_spdx"].startswith("GPL-3.0") for r in gpl)
    core = ledger[("dir:rtl-core", "rtl/keys.vh")]
    assert core["license_spdx"] == "MIT" and core["license_class"] == "permissive" and core["kept"]


def test_non_industrial_files_dropped_at_recall(curated: tuple[ArtifactStore, str, Planted]) -> None:
    store, run_id, _ = curated
    tools = [r for (repo, _), r in _ledger(store, run_id).items() if repo == "dir:tools"]
    assert len(tools) == 22 and all(r["drop_stage"] == "recall" and not r["kept"] for r in tools)


def test_planted_aws_key_and_email_redacted(curated: tuple[ArtifactStore, str, Planted]) -> None:
    store, run_id, _ = curated
    with store.connect() as con:
        content = con.execute("SELECT content FROM curated_files WHERE repo = 'dir:rtl-core' AND path = 'rtl/keys.vh'"
                              ).fetchone()[0]
        logged = con.execute("SELECT kind, line FROM curation_redactions WHERE repo = 'dir:rtl-core' "
                             "AND path = 'rtl/keys.vh' ORDER BY line").fetchall()
        leaked = con.execute(f"SELECT count(*) FROM curated_files WHERE content LIKE '%{AWS_KEY}%' "
                             f"OR content LIKE '%{EMAIL}%'").fetchone()[0]
    assert "<AWS_ACCESS_KEY>" in content and "<EMAIL>" in content and leaked == 0
    assert logged == [("EMAIL", 1), ("AWS_ACCESS_KEY", 3)]


def test_fork_consolidated_and_near_duplicate_clustered(curated: tuple[ArtifactStore, str, Planted]) -> None:
    store, run_id, planted = curated
    ledger = _ledger(store, run_id)
    with store.connect() as con:
        forks = con.execute("SELECT repo, canonical FROM dedup_forks").fetchall()
        fork_reasons = {r[0] for r in con.execute("SELECT reason FROM dedup WHERE source = 'dir:rtl-core-fork'"
                                                  ).fetchall()}
    assert forks == [("dir:rtl-core-fork", "dir:rtl-core")] and fork_reasons == {"fork"}
    original, near = ledger[("dir:rtl-core", planted.near_original)], ledger[("dir:rtl-other", "rtl/near.v")]
    assert near["cluster_id"] == original["cluster_id"] != ""
    assert original["kept"] and near["drop_stage"] == "dedup" and near["drop_reason"].startswith("near")
    copied = ledger[("dir:rtl-other", "rtl/copied.v")]
    assert copied["drop_stage"] == "dedup" and copied["drop_reason"].startswith("cross-source")
    assert copied["cluster_id"] == f"c-seed-{planted.seed_copy.task_id}"


def test_catalog_shows_files_by_domain_license_reason_cluster(curated: tuple[ArtifactStore, str, Planted]) -> None:
    store, run_id, _ = curated
    with store.connect() as con:
        by_stage = dict(con.execute("SELECT drop_stage, count(*) FROM curation_files WHERE run_id = ? GROUP BY ALL",
                                    [run_id]).fetchall())
        domains = {r[0] for r in con.execute("SELECT DISTINCT domain FROM curation_files WHERE kept").fetchall()}
        sizes = con.execute("SELECT max(size) FROM dedup_cluster_sizes").fetchone()[0]
        curated_rows = con.execute("SELECT count(*) FROM curated_files").fetchone()[0]
    assert {"", "recall", "licenses", "dedup"} <= set(by_stage)
    assert "verilog" in domains and sizes >= 2 and curated_rows == by_stage[""]


def test_a_stage_runs_alone_on_an_earlier_run(curated: tuple[ArtifactStore, str, Planted]) -> None:
    store, run_id, _ = curated
    from flows.curation import curation_refine_flow

    stage_runs = store.read("runs", run_id).to_pylist()[0]["parent_ids"]
    dedup_run = next(r for r in stage_runs if r.startswith("cur-dedup-"))
    alone = curation_refine_flow(dedup_run, run_id="refine-alone", data_root=str(store.root))
    assert store.read("curated_files", alone).num_rows == store.read("curated_files", stage_runs[-1]).num_rows


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason=f"no shared corpus at {SHARED_CORPUS}")
def test_shared_corpus_curates(tmp_path: Path) -> None:
    from curation.embedded import directory_specs
    from flows.curation import curation_flow

    specs = directory_specs(SHARED_CORPUS)
    run_id = curation_flow(specs, max_files=50, data_root=str(tmp_path / "data"))
    rows = ArtifactStore(tmp_path / "data").read("curation_files", run_id)
    assert rows.num_rows > 0
