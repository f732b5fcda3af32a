"""The ICWM as a backend: a `RunBatch` (requests in, results out) the ECoT loop runs unchanged.

`IcwmBackend` answers every request from the model. Its results say where they came from:
`tool_versions["icwm"]` names the checkpoint, `metrics["icwm_confidence"]` holds the label's
probability, and `duration_s` is the request's share of the batch's inference time.

`HybridBackend` wraps it with the real backend (`flows.runtime.execute_batch` in a flow):
- routing: a prediction whose confidence is under `threshold` is run for real and the real result
  is used (threshold 0: never route, pure ICWM);
- audit: a seeded `audit_rate` share of the remaining requests is also run for real, only to compare;
  each routed or audited request becomes an `IcwmAudit` row (predicted, real, agree), so drift between
  the model and the toolchains shows up live in the catalog.
Requests are grouped by domain for both the model and the real backend, so the time each takes is
known per domain: `stats` gives turns/s of the ICWM against the real backend, domain by domain.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from backends.icwm.codec import prompt
from backends.icwm.predictor import IcwmModel, Prediction
from backends.icwm.records import IcwmAudit
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.record import content_id

STAGE = "icwm_backend"
RunBatch = Callable[[list[ExecutionRequest]], list[ExecutionResult]]
AuditSink = Callable[[list[IcwmAudit]], None]


@dataclass
class DomainStats:
    """What one domain's requests cost: model answers and time, real runs and time, agreement."""

    predicted: int = 0
    icwm_s: float = 0.0
    real: int = 0
    real_s: float = 0.0
    routed: int = 0
    audited: int = 0
    agreed: int = 0

    def as_counts(self, domain: str) -> dict[str, float]:
        icwm_rate = self.predicted / self.icwm_s if self.icwm_s else 0.0
        real_rate = self.real / self.real_s if self.real_s else 0.0
        compared = self.routed + self.audited
        return {
            f"{domain} icwm turns": self.predicted,
            f"{domain} icwm turns/s": round(icwm_rate, 2),
            f"{domain} real turns": self.real,
            f"{domain} real turns/s (wall, pool)": round(real_rate, 2),
            f"{domain} speed-up vs wall": round(icwm_rate / real_rate, 1) if real_rate else float("nan"),
            f"{domain} routed": self.routed,
            f"{domain} audited": self.audited,
            f"{domain} live agreement": round(self.agreed / compared, 3) if compared else float("nan"),
        }


def _by_domain(requests: Sequence[ExecutionRequest]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, request in enumerate(requests):
        groups[request.task.domain].append(index)
    return groups


class IcwmBackend:
    """Every request answered by the model (see the module docstring)."""

    def __init__(self, model: IcwmModel) -> None:
        self.model = model
        self.versions: dict[str, dict[str, str]] = model.metadata.get("tool_versions", {})
        self.reference: str = model.metadata.get("codec", {}).get("reference", "none")
        self.stats: dict[str, DomainStats] = defaultdict(DomainStats)

    def predict(self, requests: Sequence[ExecutionRequest]) -> list[tuple[Prediction, ExecutionResult]]:
        answers: list[tuple[Prediction, ExecutionResult] | None] = [None] * len(requests)
        for domain, indices in _by_domain(requests).items():
            versions = self.versions.get(domain, {})
            prompts = [prompt(requests[i].task, requests[i].code, versions, self.reference) for i in indices]
            before = self.model.seconds
            predictions = self.model.predict(prompts)
            spent = self.model.seconds - before
            self.stats[domain].predicted += len(indices)
            self.stats[domain].icwm_s += spent
            for index, prediction in zip(indices, predictions, strict=True):
                answers[index] = (prediction, self._result(requests[index], prediction, spent / len(indices)))
        return [a for a in answers if a is not None]

    def _result(self, request: ExecutionRequest, prediction: Prediction, seconds: float) -> ExecutionResult:
        return ExecutionResult(
            request_id=request.request_id,
            outcome=prediction.label,
            diagnostic=prediction.decoded.diagnostic,
            metrics={**prediction.decoded.metrics, "icwm_confidence": prediction.confidence},
            duration_s=seconds,
            tool_versions={"icwm": self.model.name},
        )

    def __call__(self, requests: list[ExecutionRequest]) -> list[ExecutionResult]:
        return [result for _, result in self.predict(requests)]


@dataclass(frozen=True)
class HybridConfig:
    """`threshold` 0.9: route what the model is less than 90% sure of; `audit_rate` 0.05: one request in
    twenty of the rest is checked, enough to see agreement move within a few hundred turns."""

    threshold: float = 0.9
    audit_rate: float = 0.05
    seed: int = 0


@dataclass
class HybridBackend:
    """The ICWM with low-confidence routing to, and audit sampling against, the real backend."""

    icwm: IcwmBackend
    real: RunBatch
    config: HybridConfig = field(default_factory=HybridConfig)
    sink: AuditSink | None = None

    @property
    def stats(self) -> dict[str, DomainStats]:
        return self.icwm.stats

    def _audited(self, request: ExecutionRequest) -> bool:
        draw = int(content_id(self.config.seed, request.request_id), 16) / 16**16
        return draw < self.config.audit_rate

    def __call__(self, requests: list[ExecutionRequest]) -> list[ExecutionResult]:
        answers = self.icwm.predict(requests)
        routed = {i for i, (p, _) in enumerate(answers) if p.confidence < self.config.threshold}
        checked = sorted(routed | {i for i in range(len(requests)) if i not in routed and self._audited(requests[i])})
        results = [result for _, result in answers]
        audits = []
        for domain, positions in _by_domain([requests[i] for i in checked]).items():
            indices = [checked[p] for p in positions]
            start = time.perf_counter()
            real = self.real([requests[i] for i in indices])
            stats = self.stats[domain]
            stats.real_s += time.perf_counter() - start
            stats.real += len(indices)
            for index, truth in zip(indices, real, strict=True):
                prediction = answers[index][0]
                agree = prediction.label is truth.outcome
                stats.routed, stats.audited = stats.routed + (index in routed), stats.audited + (index not in routed)
                stats.agreed += agree
                if index in routed:
                    results[index] = truth
                audits.append(self._audit(requests[index], prediction, truth, agree, index in routed))
        if audits and self.sink is not None:
            self.sink(audits)
        return results

    def _audit(
        self, request: ExecutionRequest, prediction: Prediction, truth: ExecutionResult, agree: bool, routed: bool
    ) -> IcwmAudit:
        return IcwmAudit(
            stage=STAGE,
            parent_ids=[request.task.task_id],
            request_id=request.request_id,
            task_id=request.task.task_id,
            domain=request.task.domain,
            predicted=str(prediction.label),
            confidence=prediction.confidence,
            real=str(truth.outcome),
            agree=agree,
            routed=routed,
            checkpoint=self.icwm.model.name,
        )
