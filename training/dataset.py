"""ICWM rows from real turns: prompt = environment + candidate, target = label, metrics, diagnostic.

The split is by task, never by turn: every turn of a task (all its trajectories, all policies and
seeds) lands on the same side, so no held-out task's code, diagnostics or family parameters leak
into training. Per domain, tasks are taken for the held-out side in a seeded hash order until
`test_fraction` of the domain's tasks is held out or the next task would pass `max_test_turns`
(2,000, as the seed paper holds out). INFRA_ERROR turns are the backend's failures, not labels, and
are left out (counted).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from backends.icwm.codec import CodecConfig, prompt, target
from schemas.artifacts import Task, Turn
from schemas.record import content_id
from training.records import IcwmExample

STAGE = "icwm_dataset"
TRAIN, TEST = "train", "test"


@dataclass(frozen=True)
class SplitConfig:
    """`test_fraction` of each domain's tasks is held out (0.2: enough held-out tasks per family for
    a per-domain confusion matrix at demo sizes), capped at `max_test_turns` turns per domain."""

    test_fraction: float = 0.2
    max_test_turns: int = 2000
    seed: int = 0


@dataclass
class DatasetReport:
    """Counts for the flow's report: turns in, left out by reason, rows per split and domain."""

    turns: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    tasks: Counter[str] = field(default_factory=Counter)

    def counts(self) -> dict[str, int]:
        return {
            "turns in": self.turns,
            **{f"skipped: {k}": v for k, v in sorted(self.skipped.items())},
            **{f"rows {k}": v for k, v in sorted(self.rows.items())},
            **{f"tasks {k}": v for k, v in sorted(self.tasks.items())},
        }


def task_split(turns: Iterable[Turn], config: SplitConfig = SplitConfig()) -> dict[str, str]:
    """task_id -> `train` or `test`; a domain with one task keeps it for training."""
    turns_per_task: dict[str, Counter[str]] = defaultdict(Counter)
    for turn in turns:
        turns_per_task[turn.domain][turn.task_id] += 1
    split: dict[str, str] = {}
    for counts in turns_per_task.values():
        order = sorted(counts, key=lambda task_id: content_id(config.seed, task_id))
        wanted = max(1, int(config.test_fraction * len(order))) if len(order) > 1 and config.test_fraction > 0 else 0
        held, held_turns = 0, 0
        for task_id in order:
            if held < wanted and held_turns + counts[task_id] <= config.max_test_turns:
                split[task_id], held, held_turns = TEST, held + 1, held_turns + counts[task_id]
            else:
                split[task_id] = TRAIN
    return split


def tool_versions_by_domain(turns: Iterable[Turn]) -> dict[str, dict[str, str]]:
    """The toolchain versions each domain's turns ran on (the latest seen wins): the backend puts them
    in its prompts, so the model is asked about the toolchain it learned."""
    versions: dict[str, dict[str, str]] = {}
    for turn in turns:
        if turn.result.tool_versions:
            versions[turn.domain] = dict(turn.result.tool_versions)
    return versions


def icwm_examples(
    turns: Sequence[Turn],
    tasks: Mapping[str, Task],
    split: Mapping[str, str],
    codec: CodecConfig | None = None,
) -> tuple[list[IcwmExample], DatasetReport]:
    """One example per labelled turn, in (task, trajectory, turn) order."""
    report = DatasetReport(turns=len(turns))
    codec = codec or CodecConfig()
    examples: list[IcwmExample] = []
    for turn in sorted(turns, key=lambda t: (t.task_id, t.trajectory_id, t.turn_index)):
        if not turn.result.outcome.is_label:
            report.skipped[f"outcome {turn.result.outcome}"] += 1
            continue
        task = tasks.get(turn.task_id)
        if task is None:
            report.skipped["task not found"] += 1
            continue
        side = split[turn.task_id]
        examples.append(
            IcwmExample(
                **IcwmExample.keys(turn, side, STAGE),
                family=task.family,
                label=str(turn.result.outcome),
                prompt=prompt(task, turn.code, turn.result.tool_versions, codec.reference),
                target=target(turn.result, codec),
            )
        )
        report.rows[f"{side} {turn.domain}"] += 1
    for task_id, side in split.items():
        if task_id in tasks:
            report.tasks[f"{side} {tasks[task_id].domain}"] += 1
    return examples, report
