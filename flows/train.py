"""Flows `icwm_train` and `sft_train`: datasets from real ECoT turns, one launcher, then the evaluation.

`icwm_train`: the turns of the named ECoT runs become `icwm_examples` (split by task), the launcher
trains the ICWM on the train side, and the held-out side is predicted: `icwm_predictions`,
`icwm_eval` (per-domain accuracy, macro-F1, diagnostic similarity, trajectory agreement) and
`icwm_confusion`, under the training run's id.

`sft_train`: the same turns become chat samples with thinking blocks (`sft_examples`, plus a JSONL
export of the train side for other SFT frameworks), the launcher trains the policy, and `sft_eval`
(also a flow of its own, for any checkpoint) measures pass@1 of the `hf` policy with the trained
checkpoint on the held-out seed tasks, on the real backends (one greedy attempt per task).

Checkpoints, tokenizers and exports live under `<data root>/.training/<run id>/` (a dot directory,
so the catalog does not take it for a table); every checkpoint is a row of `training_runs`. The
training step is not cached by Prefect: the launcher itself resumes from the newest checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import INPUTS, NO_CACHE

from backends.domain import get_domain
from backends.icwm.codec import CodecConfig
from flows.export import chat_samples
from flows.lineage import record_run
from flows.report import publish_counts
from flows.runtime import execute_batch, record_once, shutdown_pools, with_cache
from schemas.artifacts import Task, Turn
from schemas.outcome import Outcome
from schemas.record import content_id
from schemas.store import ArtifactStore
from training import checkpoint as ckpt
from training.config import TrainConfig, load_config
from training.dataset import SplitConfig, icwm_examples, task_split, tool_versions_by_domain
from training.launcher import launch
from training.records import IcwmExample, SftEval, SftExample
from training.registry import resolve_checkpoint
from training.sft import export_jsonl, sft_examples

TRAINING_DIR = ".training"
CONFIGS = Path(__file__).resolve().parent.parent / "training" / "configs"


def real_turns(store: ArtifactStore, ecot_runs: list[str]) -> list[Turn]:
    """The runs' turns that a real backend answered (an ICWM rollout's predictions are not ground truth)."""
    turns = [t for run in ecot_runs for t in store.read_records(Turn, run)]
    return [t for t in turns if "icwm" not in t.result.tool_versions]


def tasks_of(store: ArtifactStore, turns: list[Turn]) -> dict[str, Task]:
    wanted = {t.task_id for t in turns}
    return {t.task_id: t for t in store.read_records(Task) if t.task_id in wanted}


def training_config(config: str | None, kind: str, name: str, root: str, overrides: dict[str, Any]) -> TrainConfig:
    """The file's configuration (default: `training/configs/<kind>-tiny.toml`) bound to this run."""
    base = load_config(config or CONFIGS / f"{kind}-tiny.toml")
    bound = {"name": name, "kind": kind, "output_dir": str(Path(root) / TRAINING_DIR / name), "registry": root}
    return base.with_overrides({**bound, **overrides})


@task(cache_policy=INPUTS, persist_result=True)
def build_icwm_dataset(ecot_runs: list[str], split: dict, codec: dict, run_id: str, data_root: str) -> dict:
    """`icwm_examples` of the runs' real turns; returns the counts, the partition and the backend's
    metadata (the codec options and toolchain versions its prompts must repeat)."""
    store = ArtifactStore(data_root)
    turns = real_turns(store, ecot_runs)
    sides = task_split(turns, SplitConfig(**split))
    examples, report = icwm_examples(turns, tasks_of(store, turns), sides, CodecConfig(**codec))
    receipt = store.write_records(examples, run_id)
    parameters = {"ecot_runs": ecot_runs, "split": split, "codec": codec}
    record_run(store, run_id, "icwm_dataset", parameters, ecot_runs, report.counts())
    metadata = {"codec": codec, "tool_versions": tool_versions_by_domain(turns)}
    return {"counts": report.counts(), "path": str(Path(receipt.path).parent), "metadata": metadata}


@task(cache_policy=NO_CACHE)
def run_training(config: dict, metadata: dict | None = None) -> dict:
    """Launch (or resume) the job; `metadata` becomes `icwm.json`, carried by every checkpoint."""
    train_config = TrainConfig.from_dict(config)
    if train_config.launch.launcher == "ray":
        shutdown_pools()  # Ray Train's workers need the CPUs/GPUs the execution pools hold
    if metadata is not None:
        train_config.output.mkdir(parents=True, exist_ok=True)
        (train_config.output / "icwm.json").write_text(json.dumps(metadata, indent=2, sort_keys=True))
    summary = launch(train_config)
    final = ckpt.latest(train_config.output)
    return {**summary, "checkpoint": str(final.path) if final else ""}


@task(cache_policy=INPUTS, persist_result=True)
def evaluate_icwm(checkpoint: str, dataset: str, run_id: str, data_root: str, max_new_tokens: int = 192) -> dict:
    """Predict the held-out turns; write predictions, per-domain metrics and confusion cells."""
    from backends.icwm.predictor import IcwmModel
    from training.batches import read_table
    from training.evaluate import predict_examples, summarize

    store = ArtifactStore(data_root)
    held_out = IcwmExample.from_table(read_table(dataset, "test"), source=dataset)
    rows = predict_examples(IcwmModel(checkpoint, max_new_tokens=max_new_tokens), held_out, checkpoint)
    metrics, confusion = summarize(rows, checkpoint)
    for records in (rows, metrics, confusion):
        store.write_records(records, run_id)
    return {
        f"{m.domain} {key}": round(getattr(m, key), 4)
        for m in metrics
        for key in ("accuracy", "macro_f1", "trajectory_agreement", "diagnostic_similarity")
    }


@flow(name="icwm_train")
def icwm_train_flow(
    ecot_runs: list[str],
    config: str | None = None,
    overrides: dict | None = None,
    test_fraction: float = 0.2,
    max_test_turns: int = 2000,
    seed: int = 0,
    reference: str = "diff",
    eval_max_new_tokens: int = 192,
    data_root: str | None = None,
    force: bool = False,
) -> str:
    """Train and evaluate an ICWM on the real turns of `ecot_runs`; returns the training run id.

    Args:
        ecot_runs: ECoT run ids whose turns to learn from (see `forge runs`).
        config: Training configuration file (TOML); default `training/configs/icwm-tiny.toml`.
        overrides: Dotted-key overrides of the configuration, e.g. {"optim.steps": 2000}.
        test_fraction: Share of each domain's tasks held out for evaluation.
        max_test_turns: Held-out turns per domain at most (the seed paper's 2,000).
        seed: Seed of the task split.
        reference: `diff` (environment + candidate + the candidate's diff against the task's golden
            reference) or `none` (environment + candidate only; near chance on the demo's turns, see
            docs/training.md).
        eval_max_new_tokens: Tokens generated per held-out turn (label, metrics, diagnostic).
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Rebuild the dataset and re-evaluate even if cached.
    """
    store = ArtifactStore(data_root)
    root = str(store.root)
    split = {"test_fraction": test_fraction, "max_test_turns": max_test_turns, "seed": seed}
    codec = asdict(CodecConfig(reference=reference))
    dataset_run = f"icwm-data-{content_id(sorted(ecot_runs), sorted(split.items()), sorted(codec.items()))}"
    dataset = with_cache(build_icwm_dataset, force)(sorted(ecot_runs), split, codec, dataset_run, root)
    settings = {"data.path": dataset["path"], **(overrides or {})}
    run_id = f"icwm-{content_id(dataset_run, training_config(config, 'icwm', '', root, settings).to_json())}"
    train_config = training_config(config, "icwm", run_id, root, settings)
    summary = run_training(train_config.to_dict(), dataset["metadata"])
    scores = with_cache(evaluate_icwm, force)(summary["checkpoint"], dataset["path"], run_id, root,
                                              eval_max_new_tokens)
    counts = {**dataset["counts"], **_train_counts(summary), **scores}
    with_cache(record_once, force)(run_id, "icwm_train", {"ecot_runs": ecot_runs, "config": train_config.to_dict()},
                                   [dataset_run], counts, root)
    publish_counts("icwm-train", "ICWM training", counts, run_id, store)
    return run_id


def _train_counts(summary: dict) -> dict[str, object]:
    keys = ("steps", "loss", "tokens_per_s", "mfu", "params", "checkpoint")
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in summary.items() if k in keys}


@task(cache_policy=INPUTS, persist_result=True)
def build_sft_dataset(ecot_runs: list[str], split: dict, run_id: str, data_root: str) -> dict:
    """`sft_examples` of the runs' trajectories and a JSONL export of the train side."""
    store = ArtifactStore(data_root)
    turns = {t.turn_id: t for t in real_turns(store, ecot_runs)}
    sides = task_split(turns.values(), SplitConfig(**split))
    samples = [s for run in ecot_runs for s in chat_samples(store, run)[0] if s["turn_id"] in turns]
    languages = {d: get_domain(d).language for d in {t.domain for t in turns.values()}}
    examples, counts = sft_examples(samples, turns, languages, sides)
    receipt = store.write_records(examples, run_id)
    jsonl = Path(data_root) / TRAINING_DIR / run_id / "sft-train.jsonl"
    exported = export_jsonl(examples, jsonl)
    report = {**{f"samples {k}": v for k, v in sorted(counts.items())}, "jsonl samples": exported}
    record_run(store, run_id, "sft_dataset", {"ecot_runs": ecot_runs, "split": split}, ecot_runs, report)
    held_out = sorted({e.task_id for e in examples if e.split == "test"})
    return {"counts": report, "path": str(Path(receipt.path).parent), "jsonl": str(jsonl), "held_out": held_out}


@task(cache_policy=INPUTS, persist_result=True)
def evaluate_sft(checkpoint: str, task_ids: list[str], run_id: str, data_root: str, max_new_tokens: int) -> dict:
    """pass@1: one greedy attempt of the trained policy per held-out task, run on the real backends."""
    from tasks.ecot import RolloutConfig, rollout
    from tasks.policies import make_policy

    store = ArtifactStore(data_root)
    tasks = [t for t in store.read_records(Task) if t.task_id in set(task_ids)]
    tasks = list({t.task_id: t for t in tasks}.values())
    policy = make_policy("hf", 0, model=checkpoint, temperature=0.0, max_new_tokens=max_new_tokens)
    trajectories, _ = rollout(tasks, policy, execute_batch, RolloutConfig(max_turns=1))
    rows = []
    for domain in sorted({t.domain for t in trajectories}):
        mine = [t for t in trajectories if t.domain == domain]
        passed = sum(t.verdict is Outcome.PASS for t in mine)
        rows.append(SftEval(stage="sft_eval", parent_ids=[checkpoint], domain=domain, checkpoint=checkpoint,
                            tasks=len(mine), passed=passed, pass_at_1=passed / len(mine)))
    if rows:
        store.write_records(rows, run_id)
    return {f"{r.domain} pass@1": f"{r.passed}/{r.tasks}" for r in rows}


@flow(name="sft_train")
def sft_train_flow(
    ecot_runs: list[str],
    config: str | None = None,
    overrides: dict | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    eval_max_new_tokens: int = 512,
    data_root: str | None = None,
    force: bool = False,
) -> str:
    """SFT on the trajectories of `ecot_runs`, then pass@1 on the held-out tasks; returns the run id.

    Args:
        ecot_runs: ECoT run ids whose trajectories become SFT samples.
        config: Training configuration file (TOML); default `training/configs/sft-tiny.toml`.
        overrides: Dotted-key overrides of the configuration.
        test_fraction: Share of each domain's tasks held out (never trained on) for pass@1.
        seed: Seed of the task split.
        eval_max_new_tokens: Generation budget of each pass@1 attempt.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Rebuild the dataset and re-evaluate even if cached.
    """
    store = ArtifactStore(data_root)
    root = str(store.root)
    split = {"test_fraction": test_fraction, "max_test_turns": 2000, "seed": seed}
    dataset_run = f"sft-data-{content_id(sorted(ecot_runs), sorted(split.items()))}"
    dataset = with_cache(build_sft_dataset, force)(sorted(ecot_runs), split, dataset_run, root)
    settings = {"data.path": dataset["path"], **(overrides or {})}
    run_id = f"sft-{content_id(dataset_run, training_config(config, 'sft', '', root, settings).to_json())}"
    train_config = training_config(config, "sft", run_id, root, settings)
    summary = run_training(train_config.to_dict())
    scores = with_cache(evaluate_sft, force)(summary["checkpoint"], dataset["held_out"], run_id, root,
                                             eval_max_new_tokens)
    counts = {**dataset["counts"], "jsonl": dataset["jsonl"], **_train_counts(summary), **scores}
    with_cache(record_once, force)(run_id, "sft_train", {"ecot_runs": ecot_runs, "config": train_config.to_dict()},
                                   [dataset_run], counts, root)
    publish_counts("sft-train", "SFT training", counts, run_id, store)
    return run_id


@flow(name="sft_eval")
def sft_eval_flow(
    checkpoint: str,
    dataset_run: str,
    max_new_tokens: int = 512,
    data_root: str | None = None,
    force: bool = False,
) -> str:
    """pass@1 of a policy checkpoint on the held-out tasks of an SFT dataset run, on the real backends.

    Args:
        checkpoint: A checkpoint directory, or an `sft-...` training run id (its newest checkpoint).
        dataset_run: The `sft-data-...` run whose `test` split names the held-out tasks.
        max_new_tokens: Generation budget of each attempt.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Re-evaluate even if cached.
    """
    store = ArtifactStore(data_root)
    checkpoint = resolve_checkpoint(str(store.root), checkpoint)
    held_out = sorted({e.task_id for e in store.read_records(SftExample, dataset_run) if e.split == "test"})
    run_id = f"sft-eval-{content_id(checkpoint, dataset_run, max_new_tokens)}"
    scores = with_cache(evaluate_sft, force)(checkpoint, held_out, run_id, str(store.root), max_new_tokens)
    parameters = {"checkpoint": checkpoint, "dataset_run": dataset_run}
    with_cache(record_once, force)(run_id, "sft_eval", parameters, [dataset_run], scores, str(store.root))
    publish_counts("sft-eval", "SFT pass@1", scores, run_id, store)
    return run_id
