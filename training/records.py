"""The training stage's tables: ICWM examples, SFT samples, training runs and the evaluations.

Each is a `schemas.record.Record`, so its Parquet columns come from these type hints and DuckDB
reads them like every other table (`SELECT * FROM icwm_eval WHERE run_id = ...`).
"""

from __future__ import annotations

from typing import Any

from schemas.artifacts import Artifact, Turn


class TurnExample(Artifact):
    """A row made from one real turn, on one side of the task split (`split` is `train` or `test`)."""

    turn_id: str
    split: str
    domain: str
    task_id: str
    trajectory_id: str
    turn_index: int

    @staticmethod
    def keys(turn: Turn, split: str, stage: str) -> dict[str, Any]:
        """The fields every example takes from its turn, so the two datasets cannot drift apart."""
        return {"stage": stage, "parent_ids": [turn.turn_id], "turn_id": turn.turn_id, "split": split,
                "domain": turn.domain, "task_id": turn.task_id, "trajectory_id": turn.trajectory_id,
                "turn_index": turn.turn_index}  # fmt: skip


class IcwmExample(TurnExample):
    """One real turn as an ICWM training or held-out row: the prompt and the backend's answer."""

    TABLE = "icwm_examples"
    family: str
    label: str
    prompt: str
    target: str


class SftExample(TurnExample):
    """One chat sample (JSON-encoded `messages`: system, user, assistant with a thinking block)."""

    TABLE = "sft_examples"
    outcome: str
    verdict: str
    messages: str


class TrainingRun(Artifact):
    """One checkpoint of a training job (`status` `checkpoint`, or `finished` for the last one).

    `config` is the resolved configuration as JSON; `metrics` holds loss, tokens/s, MFU, wall time,
    parameter count; `checkpoint` is the directory the launcher resumes from.
    """

    TABLE = "training_runs"
    training_run_id: str
    kind: str
    launcher: str
    world_size: int
    config: str
    dataset: str
    checkpoint: str
    step: int
    status: str
    created_at: str
    metrics: dict[str, float]


class IcwmPrediction(Artifact):
    """The ICWM's answer for one held-out real turn, beside what the real backend said."""

    TABLE = "icwm_predictions"
    turn_id: str
    domain: str
    trajectory_id: str
    turn_index: int
    real: str
    predicted: str
    confidence: float
    diagnostic_similarity: float


class IcwmMetric(Artifact):
    """Per-domain fidelity on the held-out turns (`domain` `all` is the pooled figure)."""

    TABLE = "icwm_eval"
    domain: str
    checkpoint: str
    turns: int
    accuracy: float
    macro_f1: float
    diagnostic_similarity: float
    trajectories: int
    trajectory_agreement: float
    mean_confidence: float


class IcwmConfusion(Artifact):
    """One cell of a domain's confusion matrix: real outcome x predicted outcome."""

    TABLE = "icwm_confusion"
    domain: str
    real: str
    predicted: str
    count: int


class SftEval(Artifact):
    """pass@1 of a trained policy on held-out seed tasks, run on the real backends."""

    TABLE = "sft_eval"
    domain: str
    checkpoint: str
    tasks: int
    passed: int
    pass_at_1: float
