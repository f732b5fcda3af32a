"""The ECoT loop on the real backend: failed turns kept, verdict = last turn, reruns identical."""

from __future__ import annotations

from backends.domain import get_domain
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task, Turn
from schemas.outcome import Outcome
from tasks.ecot import RolloutConfig, rollout
from tasks.policies import make_policy
from tasks.seed_verification import verify_seeds


def _execute(requests: list[ExecutionRequest]) -> list[ExecutionResult]:
    return [get_domain("verilog").execute(r) for r in requests]


def test_rollout_keeps_every_turn_and_cites_the_diagnostic(verilog_tasks: list[Task]) -> None:
    tasks = verilog_tasks[:4]
    turns: list[Turn] = []
    trajectories, report = rollout(tasks, make_policy("perturb"), _execute, RolloutConfig(max_turns=4), turns.extend)
    assert len(trajectories) == len(tasks) and report.turns == len(turns)
    by_id = {t.turn_id: t for t in turns}
    for trajectory in trajectories:
        own = [by_id[i] for i in trajectory.turn_ids]
        assert [t.turn_index for t in own] == list(range(trajectory.num_turns))
        assert trajectory.verdict == own[-1].result.outcome
        assert all(t.result.outcome is not Outcome.PASS for t in own[:-1])  # it stops at the first PASS
        assert own[0].fault_kinds  # turn 0 is fault-injected
        for previous, turn in zip(own, own[1:], strict=False):
            first_line = previous.result.diagnostic.strip().splitlines()[0]
            assert first_line in turn.reasoning  # the repair quotes the real tool output
            assert turn.observation.startswith(previous.result.outcome)
    assert any(t.result.outcome is not Outcome.PASS for t in turns)

    again: list[Turn] = []
    rollout(tasks, make_policy("perturb"), _execute, RolloutConfig(max_turns=4), again.extend)
    # A rerun is the same trajectory turn for turn; only measured durations differ.
    assert [(t.turn_id, t.code, t.result.outcome, t.result.diagnostic) for t in again] == [
        (t.turn_id, t.code, t.result.outcome, t.result.diagnostic) for t in turns
    ]


def test_seed_verification_scores_and_keeps_goldens(verilog_tasks: list[Task]) -> None:
    tasks = verilog_tasks[:3]
    broken = tasks[0].model_copy(update={"reference": tasks[0].reference.replace(";", "", 1), "task_id": "broken"})
    kept, checks, report = verify_seeds([*tasks, broken], _execute)
    assert report.generated == 4 and report.kept == 3
    assert report.dropped == {"golden COMPILATION_ERROR": 1}
    assert all(t.mutation_score is not None and t.mutation_score > 0.5 for t in kept)
    goldens = [c for c in checks if not c.fault_kind]
    assert len(goldens) == 4 and sum(c.outcome is Outcome.PASS for c in goldens) == 3
    assert report.mutation_score > 0.7
