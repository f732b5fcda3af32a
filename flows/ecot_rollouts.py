"""Flow `ecot_rollouts`: ECoT rollouts of a policy over the tasks of an earlier run."""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import INPUTS

from flows.report import publish_counts
from flows.runtime import execute_batch, with_cache
from schemas.artifacts import Task
from schemas.record import content_id
from schemas.store import ArtifactStore
from tasks.ecot import RolloutConfig, rollout
from tasks.policies import make_policy


def ecot_run_id(tasks_run: str, policy: str, options: dict, max_turns: int, seed: int) -> str:
    return f"ecot-{content_id(tasks_run, policy, sorted(options.items()), max_turns, seed)}"


@task(cache_policy=INPUTS, persist_result=True)
def run_rollouts(
    tasks_run: str, policy: str, options: dict, max_turns: int, seed: int, run_id: str, data_root: str
) -> dict:
    store = ArtifactStore(data_root)
    tasks = store.read_records(Task, tasks_run)
    trajectories, report = rollout(
        tasks,
        make_policy(policy, seed, **options),
        execute_batch,
        RolloutConfig(max_turns=max_turns),
        sink=lambda turns: store.write_records(turns, run_id),
    )
    if trajectories:
        store.write_records(trajectories, run_id)
    return {
        "tasks": report.tasks,
        "turns": report.turns,
        **{f"turns {k}": v for k, v in sorted(report.turns_by_outcome.items())},
        **{f"verdict {k}": v for k, v in sorted(report.verdicts.items())},
    }


@flow(name="ecot_rollouts")
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
    """Roll out `policy` on the tasks of run `tasks_run`; returns this run's id."""
    options = policy_options or {}
    run_id = run_id or ecot_run_id(tasks_run, policy, options, max_turns, seed)
    root = str(ArtifactStore(data_root).root)
    counts = with_cache(run_rollouts, force)(tasks_run, policy, options, max_turns, seed, run_id, root)
    publish_counts("ecot-rollouts", "ECoT rollouts", counts, run_id)
    return run_id
