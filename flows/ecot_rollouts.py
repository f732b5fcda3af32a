"""Flow `ecot_rollouts`: ECoT rollouts of a policy over the tasks of an earlier run."""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import INPUTS

from flows.lineage import record_run
from flows.progress import RolloutProgress
from flows.report import publish_counts
from flows.runtime import execute_batch, with_cache
from schemas.artifacts import Task, Turn
from schemas.record import content_id
from schemas.store import ArtifactStore
from tasks.ecot import RolloutConfig, RunBatch, rollout
from tasks.policies import make_policy
from tasks.policies.base import Policy

FLOW = "ecot_rollouts"


def ecot_run_id(tasks_run: str, policy: str, options: dict, max_turns: int, seed: int) -> str:
    return f"ecot-{content_id(tasks_run, policy, sorted(options.items()), max_turns, seed)}"


def roll_out_stored(
    store: ArtifactStore, run_id: str, flow_name: str, tasks: list[Task], policy: Policy, run_batch: RunBatch,
    max_turns: int,
) -> dict[str, int]:
    """Roll `tasks` out, storing turns as they come (with progress) and trajectories at the end; the counts.
    Shared by every flow that rolls out, whatever answers the candidates (real backends, the ICWM)."""
    with RolloutProgress(f"{flow_name.replace('_', '-')}-progress", len(tasks), max_turns) as progress:

        def sink(turns: list[Turn]) -> None:
            store.write_records(turns, run_id)
            progress.update(turns)

        trajectories, report = rollout(tasks, policy, run_batch, RolloutConfig(max_turns=max_turns), sink=sink)
    if trajectories:
        store.write_records(trajectories, run_id)
    return {
        "tasks": report.tasks,
        "turns": report.turns,
        **{f"turns {k}": v for k, v in sorted(report.turns_by_outcome.items())},
        **{f"verdict {k}": v for k, v in sorted(report.verdicts.items())},
    }


@task(cache_policy=INPUTS, persist_result=True)
def run_rollouts(
    tasks_run: str, policy: str, options: dict, max_turns: int, seed: int, run_id: str, data_root: str
) -> dict:
    store = ArtifactStore(data_root)
    tasks = store.read_records(Task, tasks_run)
    counts = roll_out_stored(store, run_id, FLOW, tasks, make_policy(policy, seed, **options), execute_batch, max_turns)
    parameters = {"tasks_run": tasks_run, "policy": policy, "policy_options": options, "max_turns": max_turns,
                  "seed": seed}
    record_run(store, run_id, FLOW, parameters, [tasks_run], counts)
    return counts


@flow(name=FLOW)
def ecot_rollouts_flow(
    tasks_run: str,
    policy: str = "perturb",
    policy_options: dict | None = None,
    max_turns: int = 4,
    seed: int = 0,
    run_id: str | None = None,
    data_root: str | None = None,
    force: bool = False,
) -> str:
    """Roll out `policy` on the tasks of run `tasks_run`; returns this run's id.

    Args:
        tasks_run: The run holding the tasks (a `seeds-...` id from `forge runs`).
        policy: Who writes the code: `perturb` (fault injection + diagnostic-driven repair, no model),
            `openai` (an OpenAI-compatible endpoint) or `hf` (a local transformers checkpoint).
        policy_options: Policy constructor options, e.g. {"model": "/path/to/checkpoint"} for `hf`.
        max_turns: Turns per task at most; a trajectory also ends at its first PASS.
        seed: Seed of the policy's choices; same seed, same turns.
        run_id: This run's id; default: derived from the inputs, so a rerun lands in the same partition.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo the rollouts even if this exact run is in the cache.
    """
    options = policy_options or {}
    run_id = run_id or ecot_run_id(tasks_run, policy, options, max_turns, seed)
    store = ArtifactStore(data_root)
    counts = with_cache(run_rollouts, force)(tasks_run, policy, options, max_turns, seed, run_id, str(store.root))
    publish_counts("ecot-rollouts", "ECoT rollouts", counts, run_id, store)
    return run_id
