"""A tiny ICWM and a tiny SFT policy, trained end to end on CPU from the demo's real Verilog turns.

The flows run as in production (Prefect, the launcher, the store); sizes are the `*-tiny.toml`
configurations, so the models are near chance: the tests check what the stage guarantees (split,
tables, checkpoints, resume, the backend's contract), never a quality figure.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from schemas.artifacts import Task, Trajectory, Turn
from schemas.outcome import Outcome
from schemas.store import ArtifactStore
from tests.test_operators import demo_data
from training import checkpoint as ckpt
from training.config import TrainConfig
from training.records import (
    IcwmConfusion,
    IcwmExample,
    IcwmMetric,
    IcwmPrediction,
    SftEval,
    SftExample,
    TrainingRun,
)
from training.registry import runs

TINY = {"optim.steps": 8, "launch.save_every": 4, "launch.log_every": 4}
NEW_TOKENS = 24  # a near-chance model rambles: cap what it generates


def demo_copy(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[ArtifactStore, str]:
    """(store, ECoT run id): a private copy of the session's demo data, so the tables training adds never
    show up in the shared store other modules check against the catalog docs."""
    shared, ecot_run = demo_data(tmp_path_factory)
    root = tmp_path_factory.getbasetemp() / name / "data"
    if not root.exists():
        for table in ("tasks", "turns", "trajectories", "runs"):
            shutil.copytree(Path(shared.root) / table, root / table)
    store = ArtifactStore(root)
    store.refresh_catalog()
    return store, ecot_run


def trained_icwm(tmp_path_factory: pytest.TempPathFactory) -> tuple[ArtifactStore, str, str]:
    """(store, ICWM training run id, ECoT run id), trained once per session on a copy of the demo data."""
    store, ecot_run = demo_copy(tmp_path_factory, "training-demo")
    marker = Path(store.root).parent / "icwm-run-id"
    if not marker.exists():
        from flows.train import icwm_train_flow

        marker.write_text(icwm_train_flow([ecot_run], overrides=TINY, eval_max_new_tokens=NEW_TOKENS,
                                          data_root=str(store.root)))
    return store, marker.read_text(), ecot_run


@pytest.fixture(scope="module")
def icwm(tmp_path_factory: pytest.TempPathFactory) -> tuple[ArtifactStore, str, str]:
    return trained_icwm(tmp_path_factory)


def test_icwm_training_writes_every_table(icwm: tuple[ArtifactStore, str, str]) -> None:
    store, run_id, ecot_run = icwm
    turns = store.read_records(Turn, ecot_run)
    examples = store.read_records(IcwmExample)
    assert len(examples) == len(turns) and {e.split for e in examples} == {"train", "test"}
    checkpoints = store.read_records(TrainingRun, run_id)
    assert sorted((c.step, c.status) for c in checkpoints) == [(4, "checkpoint"), (8, "finished")]
    final = next(c for c in checkpoints if c.status == "finished")
    assert final.kind == "icwm" and final.metrics["tokens_per_s"] > 0 and Path(final.checkpoint).is_dir()
    assert (Path(final.checkpoint) / "icwm.json").exists()
    held_out = [e for e in examples if e.split == "test"]
    predictions = store.read_records(IcwmPrediction, run_id)
    assert sorted(p.turn_id for p in predictions) == sorted(e.turn_id for e in held_out)
    assert all(p.real == next(e.label for e in held_out if e.turn_id == p.turn_id) for p in predictions)
    (metric,) = store.read_records(IcwmMetric, run_id)
    assert metric.domain == "verilog" and metric.turns == len(held_out)
    assert metric.accuracy == pytest.approx(sum(p.real == p.predicted for p in predictions) / len(predictions))
    assert metric.trajectories == len({e.trajectory_id for e in held_out})
    confusion = store.read_records(IcwmConfusion, run_id)
    assert sum(c.count for c in confusion) == len(held_out)
    with store.connect() as con:  # the evaluation is in the catalog like every other table
        (turns_in_view,) = con.execute("SELECT turns FROM icwm_eval WHERE run_id = ?", [run_id]).fetchone()
    assert turns_in_view == len(held_out)


def test_relaunch_resumes_from_the_last_checkpoint(
    icwm: tuple[ArtifactStore, str, str], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    from training.launcher import launch

    store, run_id, _ = icwm
    (final,) = [c for c in runs(str(store.root), run_id) if c.status == "finished"]
    config = TrainConfig.from_dict(json.loads(final.config))
    # a copy of the job's directory, so the flow's own run (8 steps) stays as the other tests expect it
    shutil.copytree(config.output, tmp_path / "job")
    longer = config.with_overrides({"output_dir": str(tmp_path / "job"), "optim.steps": 10, "launch.save_every": 100})
    with caplog.at_level(logging.INFO, logger="training.trainer"):
        summary = launch(longer)
    assert f"from {tmp_path / 'job' / Path(final.checkpoint).name} (step 8)" in caplog.text
    assert summary["steps"] == 10 and ckpt.latest(longer.output).step == 10
    assert [c.step for c in runs(str(store.root), run_id)][-1] == 10
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="training.trainer"):
        assert launch(longer) == summary  # nothing left to do: the job's summary, untouched
    assert "already trained to step 10" in caplog.text


def test_icwm_backend_drives_a_rollout_with_audit(icwm: tuple[ArtifactStore, str, str]) -> None:
    from backends.icwm.records import IcwmAudit
    from flows.icwm import icwm_rollouts_flow

    store, run_id, _ = icwm
    tasks_run = store.runs(Task.TABLE)[0]
    rollout_run = icwm_rollouts_flow(tasks_run, run_id, mode="icwm", audit_rate=0.5, max_turns=2,
                                     max_new_tokens=NEW_TOKENS, tasks_per_domain=8, data_root=str(store.root))
    turns = store.read_records(Turn, rollout_run)
    trajectories = store.read_records(Trajectory, rollout_run)
    assert len(trajectories) == 8 and len({t.task_id for t in trajectories}) == 8
    assert turns and all(t.result.tool_versions["icwm"].startswith("icwm:") for t in turns)
    assert all(0 < t.result.metrics["icwm_confidence"] <= 1 for t in turns)
    audits = store.read_records(IcwmAudit, rollout_run)
    assert audits and not any(a.routed for a in audits)
    assert all(a.agree == (a.predicted == a.real) for a in audits)
    assert {a.request_id for a in audits} <= {t.result.request_id for t in turns}
    with store.connect() as con:
        (counts,) = con.execute("SELECT counts FROM runs WHERE run_id = ?", [rollout_run]).fetchone()
    assert float(dict(counts)["verilog icwm turns/s"]) > 0
    assert int(dict(counts)["verilog audited"]) == len(audits)


def test_rerun_with_same_inputs_writes_nothing(icwm: tuple[ArtifactStore, str, str]) -> None:
    from flows.icwm import icwm_rollouts_flow
    from flows.train import icwm_train_flow

    store, run_id, ecot_run = icwm
    tasks_run = store.runs(Task.TABLE)[0]
    arguments = {"mode": "icwm", "audit_rate": 0.5, "max_turns": 1, "max_new_tokens": NEW_TOKENS,
                 "tasks_per_domain": 2, "data_root": str(store.root)}  # fmt: skip
    rollout_run = icwm_rollouts_flow(tasks_run, run_id, **arguments)
    parts = sorted(Path(store.root).rglob("*.parquet"))
    assert icwm_rollouts_flow(tasks_run, run_id, **arguments) == rollout_run
    retrained = icwm_train_flow([ecot_run], overrides=TINY, eval_max_new_tokens=NEW_TOKENS, data_root=str(store.root))
    assert retrained == run_id
    assert sorted(Path(store.root).rglob("*.parquet")) == parts


def test_hybrid_routes_low_confidence_to_the_real_backend(icwm: tuple[ArtifactStore, str, str]) -> None:
    from backends.domain import get_domain
    from backends.icwm.backend import HybridBackend, HybridConfig, IcwmBackend
    from backends.icwm.codec import prompt
    from backends.icwm.predictor import IcwmModel
    from schemas.artifacts import ExecutionRequest

    store, run_id, ecot_run = icwm
    checkpoint = next(c.checkpoint for c in runs(str(store.root), run_id) if c.step == 8)
    tasks = {t.task_id: t for t in store.read_records(Task)}
    chosen = store.read_records(Turn, ecot_run)[:3]
    requests = [ExecutionRequest.for_code(tasks[t.task_id], t.code, 20.0) for t in chosen]
    execute = get_domain("verilog").execute
    icwm_backend = IcwmBackend(IcwmModel(checkpoint, max_new_tokens=NEW_TOKENS))
    audits = []
    always = HybridBackend(icwm_backend, lambda rs: [execute(r) for r in rs], HybridConfig(threshold=1.01),
                           sink=audits.extend)
    results = always(requests)
    assert [r.outcome for r in results] == [t.result.outcome for t in chosen]  # the real backend answered
    assert all("icwm" not in r.tool_versions for r in results) and all(a.routed for a in audits)
    audits.clear()
    never = HybridBackend(icwm_backend, lambda rs: [execute(r) for r in rs],
                          HybridConfig(threshold=0.0, audit_rate=1.0), sink=audits.extend)
    results = never(requests)
    assert all("icwm" in r.tool_versions for r in results)  # the model answered, the audit only compared
    assert [a.real for a in audits] == [str(t.result.outcome) for t in chosen]
    assert [a.predicted for a in audits] == [str(r.outcome) for r in results]
    prompts = [prompt(r.task, r.code, icwm_backend.versions.get("verilog", {})) for r in requests[:2]]
    predictions = icwm_backend.model.predict(prompts, generate=False)
    for prediction in predictions:
        assert sum(prediction.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
        assert prediction.confidence == max(prediction.probabilities.values())
        assert prediction.label in Outcome and prediction.label.is_label


def test_sft_end_to_end(icwm: tuple[ArtifactStore, str, str]) -> None:
    from flows.train import sft_train_flow

    store, _, ecot_run = icwm
    run_id = sft_train_flow([ecot_run], eval_max_new_tokens=NEW_TOKENS, data_root=str(store.root))
    examples = store.read_records(SftExample)
    assert len(examples) == len(store.read_records(Turn, ecot_run))
    (final,) = [c for c in runs(str(store.root), run_id) if c.status == "finished"]
    assert final.kind == "sft" and (Path(final.checkpoint) / "tokenizer.json").exists()
    jsonl = next(Path(store.root, ".training").glob("sft-data-*/sft-train.jsonl"))
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(lines) == sum(e.split == "train" for e in examples)
    assert all(line["messages"][-1]["content"].startswith("<think>") for line in lines)
    held_out = {e.task_id for e in examples if e.split == "test"}
    (evaluation,) = store.read_records(SftEval, run_id)
    assert evaluation.tasks == len(held_out) and evaluation.pass_at_1 == evaluation.passed / evaluation.tasks
