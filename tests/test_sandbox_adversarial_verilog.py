"""Hostile Verilog jobs against the worker around the sandbox (issue 14): the worker reads Yosys'
reports without following what the job could have put in their place, writes nothing into a
workspace once a tool has run there, and a planted entry is the candidate's outcome, never host
content in a result.

A Verilog design has no shell (Icarus builds no `$system`, and file tasks write only regular files),
so the job's own processes are played by `_plant_after`: a command run in the same workspace, as the
job's uid, inside the same sandbox, right after a given tool, at the moment that hurts most. That is
what any candidate process in the job could do; the worker must hold whatever ran there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from backends import isolation, sandbox
from backends.domain import get_domain
from backends.sandbox import SandboxLimits, SandboxRun
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

SECRET = "forge-canary-7f3a91"
# Each line is what one report parser looks for, so a worker that follows a link shows it in metrics.
FORGED = 987654
CANARY_TEXT = (
    f"{SECRET}\nNumber of cells: {FORGED}\nLongest topological path in x (length={FORGED})\n"
    f"Of those cells 0 are proven and {FORGED} are unproven\n"
)


@dataclass(frozen=True)
class Canary:
    """A root-only file outside every workspace; no result may show it, no job may change it."""

    path: Path
    mtime_ns: int

    def assert_untouched(self, result: ExecutionResult) -> None:
        assert SECRET not in result.diagnostic
        assert float(FORGED) not in result.metrics.values(), result.metrics
        assert self.path.read_text() == CANARY_TEXT
        assert self.path.stat().st_mtime_ns == self.mtime_ns


@pytest.fixture
def canary(tmp_path: Path) -> Canary:
    path = tmp_path / "canary"
    path.write_text(CANARY_TEXT)
    path.chmod(0o600)
    return Canary(path, path.stat().st_mtime_ns)


@pytest.fixture(params=["bwrap", "unshare"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each isolation mode that can run here (`isolation.chosen()` reads the variable on every job)."""
    if not isolation.works(isolation.Mode(request.param)):
        pytest.skip(f"the {request.param} isolation cannot run on this machine")
    monkeypatch.setenv(isolation.SANDBOX_ENV, request.param)
    return request.param


def _plant_after(monkeypatch: pytest.MonkeyPatch, marker: str, shell: str) -> None:
    """After each command whose argv mentions `marker`, run `shell` in the same job, as the job's uid,
    inside the sandbox: the candidate's process, acting on its own workspace."""
    real = sandbox.Workspace.run

    def run(self: sandbox.Workspace, argv: Sequence[str], limits: SandboxLimits | None = None) -> SandboxRun:
        done = real(self, argv, limits)
        if any(marker in arg for arg in argv):
            real(self, ["/bin/sh", "-c", shell])
        return done

    monkeypatch.setattr(sandbox.Workspace, "run", run)


def _judge(task: Task, code: str) -> ExecutionResult:
    """The candidate through `Domain.run`, as a pool worker runs it."""
    return get_domain("verilog").run(ExecutionRequest.for_code(task, code, 20.0))


def test_honest_design_passes_in_each_mode(counter_task: Task, mode: str) -> None:
    result = _judge(counter_task, counter_task.reference)
    assert result.outcome is Outcome.PASS, result.diagnostic
    assert result.metrics["equiv_proven"] == 1.0 and result.metrics["cells"] > 0
    assert result.isolation.startswith(mode)


@pytest.mark.parametrize(
    ("report", "written_by"), [("stat.txt", "stat.txt"), ("ltp.txt", "ltp.txt"), ("equiv.txt", "equiv")]
)
def test_a_link_in_place_of_a_report_is_refused_not_followed(
    counter_task: Task, mode: str, canary: Canary, monkeypatch: pytest.MonkeyPatch, report: str, written_by: str
) -> None:
    """Right after Yosys wrote `report`, the job swaps it for a link to a root-only host file: a
    worker that follows it reads the host file into the result (here: forged metrics)."""
    _plant_after(monkeypatch, written_by, f"rm -f {report} && ln -s {canary.path} {report}")
    result = _judge(counter_task, counter_task.reference)
    assert result.outcome is Outcome.SANDBOX_VIOLATION, (result.outcome, result.diagnostic, result.metrics)
    assert report in result.diagnostic and "symbolic link" in result.diagnostic
    canary.assert_untouched(result)


@pytest.mark.timeout(120)
def test_a_fifo_in_place_of_a_report_cannot_hang_the_worker(
    counter_task: Task, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO nobody writes: a worker that opens it to read waits forever, and its pool with it."""
    _plant_after(monkeypatch, "stat.txt", "rm -f stat.txt && mkfifo stat.txt")
    result = _judge(counter_task, counter_task.reference)
    assert result.outcome is Outcome.SANDBOX_VIOLATION, (result.outcome, result.diagnostic)
    assert "not a regular file" in result.diagnostic


def test_a_link_planted_during_simulation_is_never_written_through(
    counter_task: Task, mode: str, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulation (the candidate's own run) leaves a link where the worker used to write its
    equivalence script after it: a worker that writes through it, as root, overwrites the host file."""
    _plant_after(monkeypatch, "sim.vvp", f"ln -sf {canary.path} equiv.ys")
    result = _judge(counter_task, counter_task.reference)
    canary.assert_untouched(result)
    assert result.outcome is Outcome.PASS, result.diagnostic
    assert result.metrics["equiv_proven"] == 1.0

