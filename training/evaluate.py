"""ICWM fidelity on held-out real turns, per domain: what the seed paper reports, and what it hides.

- outcome accuracy, and macro-F1 over the labels that occur (real or predicted) in the domain, so a
  model that only ever says the majority outcome scores low even where accuracy looks fine;
- the confusion matrix (real x predicted), one row per non-empty cell;
- diagnostic similarity: difflib's ratio between the generated and the real (trimmed) diagnostic;
- trajectory agreement: each held-out trajectory's candidates are replayed through the ICWM in
  order; as in a rollout, the replay ends at the first predicted PASS (or the last candidate), and
  its verdict is the prediction there. It agrees when that equals the real trajectory's verdict
  (its last turn's outcome).
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Protocol

from backends.icwm.codec import parse_target
from backends.icwm.predictor import Prediction
from schemas.outcome import Outcome
from training.records import IcwmConfusion, IcwmExample, IcwmMetric, IcwmPrediction

STAGE = "icwm_eval"
ALL = "all"
SIMILARITY_CHARS = 600  # the codec's diagnostic budget: longer real text was never a target


class Predictor(Protocol):
    def predict(self, prompts: Sequence[str], generate: bool = True) -> list[Prediction]: ...


def macro_f1(real: Sequence[str], predicted: Sequence[str]) -> float:
    labels = sorted(set(real) | set(predicted))
    scores = []
    for label in labels:
        tp = sum(r == p == label for r, p in zip(real, predicted, strict=True))
        fp = sum(p == label and r != label for r, p in zip(real, predicted, strict=True))
        fn = sum(r == label and p != label for r, p in zip(real, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def diagnostic_similarity(generated: str, real: str) -> float:
    return difflib.SequenceMatcher(None, generated[:SIMILARITY_CHARS], real[:SIMILARITY_CHARS], autojunk=False).ratio()


def trajectory_agreement(rows: Sequence[IcwmPrediction]) -> tuple[int, int]:
    """(agreeing, total) held-out trajectories, replayed as the module docstring says."""
    trajectories: dict[str, list[IcwmPrediction]] = defaultdict(list)
    for row in rows:
        trajectories[row.trajectory_id].append(row)
    agreeing = 0
    for turns in trajectories.values():
        turns.sort(key=lambda r: r.turn_index)
        replayed = next((t.predicted for t in turns if t.predicted == Outcome.PASS), turns[-1].predicted)
        agreeing += replayed == turns[-1].real
    return agreeing, len(trajectories)


def predict_examples(model: Predictor, examples: Sequence[IcwmExample], checkpoint: str) -> list[IcwmPrediction]:
    """The model's answer for every held-out example, with the diagnostic it generated scored."""
    predictions = model.predict([e.prompt for e in examples], generate=True)
    return [
        IcwmPrediction(
            stage=STAGE,
            parent_ids=[example.turn_id, checkpoint],
            turn_id=example.turn_id,
            domain=example.domain,
            trajectory_id=example.trajectory_id,
            turn_index=example.turn_index,
            real=example.label,
            predicted=str(prediction.label),
            confidence=prediction.confidence,
            diagnostic_similarity=diagnostic_similarity(
                prediction.decoded.diagnostic, parse_target(example.target).diagnostic
            ),
        )
        for example, prediction in zip(examples, predictions, strict=True)
    ]


def domain_metrics(rows: Sequence[IcwmPrediction], domain: str, checkpoint: str) -> IcwmMetric:
    real, predicted = [r.real for r in rows], [r.predicted for r in rows]
    agreeing, trajectories = trajectory_agreement(rows)
    return IcwmMetric(
        stage=STAGE,
        parent_ids=[checkpoint],
        domain=domain,
        checkpoint=checkpoint,
        turns=len(rows),
        accuracy=sum(r == p for r, p in zip(real, predicted, strict=True)) / len(rows),
        macro_f1=macro_f1(real, predicted),
        diagnostic_similarity=sum(r.diagnostic_similarity for r in rows) / len(rows),
        trajectories=trajectories,
        trajectory_agreement=agreeing / trajectories,
        mean_confidence=sum(r.confidence for r in rows) / len(rows),
    )


def summarize(
    rows: Sequence[IcwmPrediction], checkpoint: str
) -> tuple[list[IcwmMetric], list[IcwmConfusion]]:
    """Per-domain metrics (plus the pooled `all`) and confusion cells."""
    by_domain: dict[str, list[IcwmPrediction]] = defaultdict(list)
    for row in rows:
        by_domain[row.domain].append(row)
    metrics = [domain_metrics(by_domain[d], d, checkpoint) for d in sorted(by_domain)]
    if len(by_domain) > 1:
        metrics.append(domain_metrics(rows, ALL, checkpoint))
    confusion = [
        IcwmConfusion(stage=STAGE, parent_ids=[checkpoint], domain=domain, real=real, predicted=predicted, count=n)
        for domain in sorted(by_domain)
        for (real, predicted), n in sorted(Counter((r.real, r.predicted) for r in by_domain[domain]).items())
    ]
    return metrics, confusion


def confusion_table(cells: Sequence[IcwmConfusion], domain: str) -> tuple[list[str], list[list[object]]]:
    """A domain's confusion matrix as (columns, rows) for a markdown or rich table: real down, predicted across."""
    cells = [c for c in cells if c.domain == domain]
    labels = [str(o) for o in Outcome if any(str(o) in (c.real, c.predicted) for c in cells)]
    counts = {(c.real, c.predicted): c.count for c in cells}
    rows = [[real, *(counts.get((real, predicted), 0) for predicted in labels)] for real in labels]
    return ["real \\ predicted", *labels], rows
