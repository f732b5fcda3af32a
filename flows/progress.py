"""Progress of a rollout: a Prefect progress artifact in the UI, and a rich bar on a terminal.

Progress is the share of trajectories finished: one ends when a turn passes, or at the last turn
(`max_turns`), so after turn k every trajectory still open ends at the latest with turn
`max_turns - 1`. It is fed one turn batch at a time, as the rollout loop stores them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Self
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.context import get_run_context
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from schemas.artifacts import Turn
from schemas.outcome import Outcome

log = logging.getLogger(__name__)
_ENDS = (Outcome.PASS, Outcome.INFRA_ERROR)


def _in_prefect_run() -> bool:
    try:
        get_run_context()
    except RuntimeError:
        return False
    return True


class RolloutProgress:
    """`with RolloutProgress(key, tasks, max_turns) as progress: ... progress.update(turn_batch)`."""

    def __init__(self, key: str, tasks: int, max_turns: int, console: Console | None = None) -> None:
        self.key, self.tasks, self.max_turns = key, tasks, max_turns
        self.finished = 0
        self._artifact: UUID | None = None
        console = console or Console(stderr=True)
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, disable=not console.is_terminal,
        )
        self._task = self._bar.add_task("ECoT trajectories finished", total=tasks)

    def __enter__(self) -> Self:
        self._bar.start()
        if _in_prefect_run():
            self._artifact = create_progress_artifact(0.0, key=self.key, description="ECoT trajectories finished")
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._bar.stop()

    def update(self, turns: Sequence[Turn]) -> None:
        """Account for one turn batch (turn index k of every open trajectory)."""
        if not turns:
            return
        last_turn = turns[0].turn_index == self.max_turns - 1
        self.finished += len(turns) if last_turn else sum(t.result.outcome in _ENDS for t in turns)
        percent = 100.0 * self.finished / self.tasks if self.tasks else 100.0
        self._bar.update(
            self._task, completed=self.finished,
            description=f"ECoT turn {turns[0].turn_index + 1}/{self.max_turns}",
        )
        log.info("ECoT turn %d/%d: %d turns run, %d/%d trajectories finished",
                 turns[0].turn_index + 1, self.max_turns, len(turns), self.finished, self.tasks)
        if self._artifact is not None:
            update_progress_artifact(self._artifact, percent)
