"""Shared fixtures: a temporary artifact store and real Verilog seed tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from backends.domain import get_domain
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.store import ArtifactStore


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "data")


@pytest.fixture(scope="session")
def verilog_tasks() -> list[Task]:
    """One design per family."""
    return get_domain("verilog").seed_tasks(1)


@pytest.fixture(scope="session")
def counter_task(verilog_tasks: list[Task]) -> Task:
    return next(t for t in verilog_tasks if t.family == "counter")


def run_verilog(code: str, task: Task, timeout_s: float = 20.0) -> ExecutionResult:
    """Execute `code` against `task` on the real Verilog backend, in-process."""
    return get_domain("verilog").execute(ExecutionRequest.for_code(task, code, timeout_s))
