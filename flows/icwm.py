"""Flow `icwm_rollouts`: amplification — ECoT rollouts on seed tasks with the ICWM as the backend.

The rollout loop (`tasks.ecot.rollout`) runs unchanged; only its `run_batch` is the ICWM:
- `mode="icwm"`: every turn answered by the model (an `audit_rate` share also run for real and
  compared, into `icwm_audit`);
- `mode="hybrid"`: predictions under `threshold` confidence are run on the real backend and its
  result is used.
Turns and trajectories land in the usual tables under this run's id (their results carry
`tool_versions["icwm"]`, so training never mistakes them for real turns). The report gives, per
domain, turns/s of the ICWM against the real backend on the audited requests (the toolchain's own
time per request, one worker, as the ICWM is one process), the speed-up, and live agreement.
"""

from __future__ import annotations

import math

from prefect import flow, task
from prefect.cache_policies import INPUTS

from backends.domain import spread
from backends.icwm.backend import HybridBackend, HybridConfig, IcwmBackend
from backends.icwm.predictor import IcwmModel
from flows.ecot_rollouts import roll_out_stored
from flows.lineage import record_run
from flows.report import publish_counts
from flows.runtime import execute_batch, with_cache
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.record import content_id
from schemas.store import ArtifactStore
from tasks.policies import make_policy
from training.registry import resolve_checkpoint

FLOW = "icwm_rollouts"
MODES = ("icwm", "hybrid")


class _TimedReal:
    """The real backend, also summing each result's own `duration_s` (toolchain time, no pool overhead)."""

    def __init__(self) -> None:
        self.tool_s: dict[str, float] = {}

    def __call__(self, requests: list[ExecutionRequest]) -> list[ExecutionResult]:
        results = execute_batch(requests)
        for request, result in zip(requests, results, strict=True):
            domain = request.task.domain
            self.tool_s[domain] = self.tool_s.get(domain, 0.0) + result.duration_s
        return results


def _speed_counts(backend: HybridBackend, real: _TimedReal) -> dict[str, object]:
    counts: dict[str, object] = {}
    for domain, stats in sorted(backend.stats.items()):
        icwm_rate = stats.predicted / stats.icwm_s if stats.icwm_s else math.nan
        tool_rate = stats.real / real.tool_s[domain] if real.tool_s.get(domain) else math.nan
        counts.update(stats.as_counts(domain))
        counts[f"{domain} real turns/s (toolchain time)"] = round(tool_rate, 2)
        counts[f"{domain} speed-up vs toolchain time"] = round(icwm_rate / tool_rate, 1)
    return counts


def _sample(tasks: list[Task], per_domain: int | None) -> list[Task]:
    """At most `per_domain` tasks of each domain, spread over its families and parameter grid."""
    domains = sorted({t.domain for t in tasks})
    return [t for domain in domains for t in spread([t for t in tasks if t.domain == domain], per_domain)]


@task(cache_policy=INPUTS, persist_result=True)
def run_icwm_rollouts(
    tasks_run: str, checkpoint: str, mode: str, threshold: float, audit_rate: float, policy: str, options: dict,
    max_turns: int, seed: int, run_id: str, data_root: str, max_new_tokens: int = 192, batch_size: int = 32,
    tasks_per_domain: int | None = None,
) -> dict:
    store = ArtifactStore(data_root)
    tasks = _sample(store.read_records(Task, tasks_run), tasks_per_domain)
    real = _TimedReal()
    config = HybridConfig(threshold if mode == "hybrid" else 0.0, audit_rate, seed)
    model = IcwmModel(checkpoint, batch_size=batch_size, max_new_tokens=max_new_tokens)
    backend = HybridBackend(IcwmBackend(model), real, config, sink=lambda audits: store.write_records(audits, run_id))
    rolled = roll_out_stored(store, run_id, FLOW, tasks, make_policy(policy, seed, **options), backend, max_turns)
    counts = {**rolled, **_speed_counts(backend, real)}
    parameters = {"tasks_run": tasks_run, "checkpoint": checkpoint, "mode": mode, "threshold": threshold,
                  "audit_rate": audit_rate, "policy": policy, "policy_options": options, "max_turns": max_turns,
                  "seed": seed, "tasks_per_domain": tasks_per_domain}
    record_run(store, run_id, FLOW, parameters, [tasks_run], counts)
    return counts


@flow(name=FLOW)
def icwm_rollouts_flow(
    tasks_run: str,
    checkpoint: str,
    mode: str = "icwm",
    threshold: float = 0.9,
    audit_rate: float = 0.05,
    policy: str = "perturb",
    policy_options: dict | None = None,
    max_turns: int = 4,
    seed: int = 0,
    max_new_tokens: int = 192,
    tasks_per_domain: int | None = None,
    run_id: str | None = None,
    data_root: str | None = None,
    force: bool = False,
) -> str:
    """ECoT rollouts of `policy` on the tasks of `tasks_run`, executed by the ICWM; returns the run id.

    Args:
        tasks_run: The run holding the tasks (a `seeds-...` id).
        checkpoint: An ICWM checkpoint directory, or an `icwm-...` training run id (its newest checkpoint).
        mode: `icwm` (every turn from the model) or `hybrid` (low-confidence turns run for real).
        threshold: In hybrid mode, the confidence under which a turn is run on the real backend.
        audit_rate: Share of model-answered turns also run for real, into `icwm_audit`.
        policy: Who writes the code (`perturb`, `openai`, `hf`).
        policy_options: Policy constructor options.
        max_turns: Turns per task at most.
        seed: Seed of the policy and of the audit sample.
        max_new_tokens: Tokens the ICWM generates per turn (label, metrics, diagnostic).
        tasks_per_domain: Roll out at most this many tasks per domain, spread over the run's tasks (default: all).
        run_id: This run's id; default: derived from the inputs.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo the rollouts even if this exact run is in the cache.
    """
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: choose one of {', '.join(MODES)}")
    store = ArtifactStore(data_root)
    checkpoint = resolve_checkpoint(str(store.root), checkpoint)
    options = policy_options or {}
    inputs = (tasks_run, checkpoint, mode, threshold, audit_rate, policy, sorted(options.items()), max_turns, seed,
              max_new_tokens, tasks_per_domain)
    run_id = run_id or f"icwm-ecot-{content_id(*inputs)}"
    counts = with_cache(run_icwm_rollouts, force)(
        tasks_run, checkpoint, mode, threshold, audit_rate, policy, options, max_turns, seed, run_id, str(store.root),
        max_new_tokens, tasks_per_domain=tasks_per_domain,
    )
    publish_counts("icwm-rollouts", "ICWM rollouts", counts, run_id, store)
    return run_id
