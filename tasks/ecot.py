"""The ECoT rollout loop: up to K turns per task, each executed for real, stopping on PASS.

Every turn, failed or passing, becomes a `Turn` row; each task gets one `Trajectory` whose verdict
is its last turn's outcome. Turns are batched across tasks (turn k of every open trajectory runs in
one batch), so the worker pool stays busy. This module knows nothing of Prefect or Ray: the caller
passes `run_batch` and an optional `sink` that stores each turn batch as soon as it exists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from schemas.artifacts import ExecutionRequest, ExecutionResult, Task, Trajectory, Turn
from schemas.outcome import Outcome
from schemas.record import content_id
from tasks.policies.base import Episode, Policy

STAGE = "ecot_rollouts"
RunBatch = Callable[[list[ExecutionRequest]], list[ExecutionResult]]
TurnSink = Callable[[list[Turn]], None]


@dataclass(frozen=True)
class RolloutConfig:
    """`max_turns` bounds repair attempts (the seed paper's trajectories rarely need more than a few);
    `timeout_s` is the per-candidate wall clock in the sandbox."""

    max_turns: int = 4
    timeout_s: float = 30.0


@dataclass
class RolloutReport:
    """Counts for the flow's report."""

    tasks: int = 0
    turns: int = 0
    turns_by_outcome: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)


def _observation(turns: Sequence[Turn]) -> str:
    if not turns:
        return ""
    result = turns[-1].result
    return f"{result.outcome}\n{result.diagnostic}".strip()


def rollout(
    tasks: Sequence[Task],
    policy: Policy,
    run_batch: RunBatch,
    config: RolloutConfig = RolloutConfig(),
    sink: TurnSink | None = None,
) -> tuple[list[Trajectory], RolloutReport]:
    """Run every task to PASS or `max_turns`; returns trajectories (turns go to `sink`) and counts."""
    episodes = [Episode(content_id(t.task_id, policy.fingerprint), t) for t in tasks]
    report = RolloutReport(tasks=len(tasks))
    open_episodes = list(episodes)
    finished: dict[str, Episode] = {}
    for turn_index in range(config.max_turns):
        if not open_episodes:
            break
        attempts = policy.act(open_episodes)
        requests = [
            ExecutionRequest.for_code(e.task, a.code, config.timeout_s)
            for e, a in zip(open_episodes, attempts, strict=True)
        ]
        results = run_batch(requests)
        batch, still_open = [], []
        for episode, attempt, result in zip(open_episodes, attempts, results, strict=True):
            turn = Turn(
                stage=STAGE,
                parent_ids=[episode.task.task_id, *(t.turn_id for t in episode.turns[-1:])],
                turn_id=content_id(episode.trajectory_id, turn_index),
                trajectory_id=episode.trajectory_id,
                task_id=episode.task.task_id,
                domain=episode.task.domain,
                turn_index=turn_index,
                policy=policy.name,
                observation=_observation(episode.turns),
                reasoning=attempt.reasoning,
                code=attempt.code,
                fault_kinds=list(attempt.fault_kinds),
                result=result,
            )
            batch.append(turn)
            report.turns_by_outcome[result.outcome] += 1
            episode = Episode(episode.trajectory_id, episode.task, (*episode.turns, turn))
            done = result.outcome in (Outcome.PASS, Outcome.INFRA_ERROR) or turn_index == config.max_turns - 1
            (finished.__setitem__(episode.trajectory_id, episode) if done else still_open.append(episode))
        report.turns += len(batch)
        if sink is not None:
            sink(batch)
        open_episodes = still_open
    trajectories = [_trajectory(finished[e.trajectory_id], policy.name) for e in episodes]
    report.verdicts.update(t.verdict for t in trajectories)
    return trajectories, report


def _trajectory(episode: Episode, policy: str) -> Trajectory:
    return Trajectory(
        stage=STAGE,
        parent_ids=[episode.task.task_id],
        trajectory_id=episode.trajectory_id,
        task_id=episode.task.task_id,
        domain=episode.task.domain,
        policy=policy,
        num_turns=len(episode.turns),
        first_outcome=episode.turns[0].result.outcome,
        verdict=episode.turns[-1].result.outcome,
        turn_ids=[t.turn_id for t in episode.turns],
    )
