"""Export ECoT turns as chat samples for supervised fine-tuning: JSONL, or Parquet that `datasets` loads.

One sample per turn, as a `messages` list of {role, content} (system, user, assistant): the
conversational format TRL's SFTTrainer and most SFT frameworks read directly. The system and user
messages are exactly what a model-backed policy is prompted with at that turn
(`tasks.policies.prompt.messages`: the task, and on a repair turn the previous code with the tool's
verbatim diagnostic); the assistant message is the turn's reasoning followed by its code in one
fenced block, the form `prompt.parse_reply` reads back. So training and inference prompts cannot
drift apart.

Failed turns are exported too (ECoT learns from the repair path); each sample carries its turn's
`outcome` and its trajectory's `verdict` for filtering, and `solved_only` keeps only trajectories
that end in PASS. Trajectories that ended on INFRA_ERROR are never exported: that outcome is the
backend's failure, not a label.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from backends.domain import get_domain
from schemas.artifacts import Task, Turn
from schemas.outcome import Outcome
from schemas.store import ArtifactStore, StoreError
from tasks.policies.base import Episode
from tasks.policies.prompt import messages

FORMATS = ("jsonl", "parquet")
_MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
SCHEMA = pa.schema(
    [
        ("messages", pa.list_(_MESSAGE)),
        ("run_id", pa.string()),
        ("trajectory_id", pa.string()),
        ("turn_id", pa.string()),
        ("task_id", pa.string()),
        ("domain", pa.string()),
        ("family", pa.string()),
        ("policy", pa.string()),
        ("turn_index", pa.int64()),
        ("num_turns", pa.int64()),
        ("outcome", pa.string()),
        ("verdict", pa.string()),
    ]
)


@dataclass
class ExportReport:
    """What was exported from the run, and what was left out by reason."""

    trajectories: int = 0
    samples: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def assistant_reply(turn: Turn, language: str) -> str:
    """The turn as the model's reply: reasoning, then the code in one fence (what `parse_reply` reads)."""
    fence = f"```{language}\n{turn.code.rstrip()}\n```"
    return f"{turn.reasoning.strip()}\n\n{fence}" if turn.reasoning.strip() else fence


def _tasks(store: ArtifactStore, task_ids: set[str]) -> dict[str, Task]:
    table = store.read(Task.TABLE)
    table = table.filter(pc.is_in(table["task_id"], value_set=pa.array(sorted(task_ids))))
    tasks = {t.task_id: t for t in Task.from_table(table, source=f"{store.root}/{Task.TABLE}")}
    if missing := task_ids - set(tasks):
        raise StoreError(f"tasks {sorted(missing)[:5]} of the turns are in no run of {store.root}/{Task.TABLE}")
    return tasks


def chat_samples(store: ArtifactStore, run_id: str, solved_only: bool = False) -> tuple[list[dict], ExportReport]:
    """One chat sample per turn of ECoT run `run_id`, trajectories in id order, turns in order."""
    trajectories: dict[str, list[Turn]] = defaultdict(list)
    for turn in store.read_records(Turn, run_id):
        trajectories[turn.trajectory_id].append(turn)
    tasks = _tasks(store, {turns[0].task_id for turns in trajectories.values()})
    report, samples = ExportReport(), []
    for trajectory_id, turns in sorted(trajectories.items()):
        turns.sort(key=lambda t: t.turn_index)
        verdict = turns[-1].result.outcome
        if verdict is Outcome.INFRA_ERROR or (solved_only and verdict is not Outcome.PASS):
            report.skipped[f"verdict {verdict}"] += 1
            continue
        task = tasks[turns[0].task_id]
        language = get_domain(task.domain).language
        report.trajectories += 1
        for index, turn in enumerate(turns):
            prompt = messages(Episode(trajectory_id, task, tuple(turns[:index])), language)
            samples.append(
                {
                    "messages": [*prompt, {"role": "assistant", "content": assistant_reply(turn, language)}],
                    "run_id": run_id,
                    "trajectory_id": trajectory_id,
                    "turn_id": turn.turn_id,
                    "task_id": task.task_id,
                    "domain": task.domain,
                    "family": task.family,
                    "policy": turn.policy,
                    "turn_index": turn.turn_index,
                    "num_turns": len(turns),
                    "outcome": str(turn.result.outcome),
                    "verdict": str(verdict),
                }
            )
    report.samples = len(samples)
    return samples, report


def _atomic_write(out: Path, write: Callable[[Path], None]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex}")
    try:
        write(temporary)
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)


def export_run(store: ArtifactStore, run_id: str, fmt: str, out: Path, solved_only: bool = False) -> ExportReport:
    """Write run `run_id`'s samples to `out` as `fmt` (jsonl or parquet), atomically."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    samples, report = chat_samples(store, run_id, solved_only)
    if fmt == "jsonl":

        def write(path: Path) -> None:
            with path.open("w", encoding="utf-8") as handle:
                handle.writelines(json.dumps(s, ensure_ascii=False) + "\n" for s in samples)

    else:

        def write(path: Path) -> None:
            pq.write_table(pa.Table.from_pylist(samples, schema=SCHEMA), path, compression="zstd")

    _atomic_write(Path(out), write)
    return report
