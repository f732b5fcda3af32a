"""Flow `demo`: the embedded-defaults pipeline — seed tasks, verified, then ECoT rollouts."""

from __future__ import annotations

from prefect import flow

from flows.ecot_rollouts import ecot_rollouts_flow
from flows.seed_tasks import seed_tasks_flow


@flow(name="demo")
def demo_flow(
    per_family: int | None = None, max_turns: int = 4, seed: int = 0, data_root: str | None = None
) -> str:
    """Seed tasks of every domain (each domain's default count unless `per_family`), then ECoT
    rollouts with the perturb policy, as subflows; returns the rollout run id."""
    tasks_run = seed_tasks_flow(per_family=per_family, seed=seed, data_root=data_root)
    return ecot_rollouts_flow(tasks_run, max_turns=max_turns, seed=seed, data_root=data_root)
