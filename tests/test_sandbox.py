"""The sandbox ends runaway candidates and keeps them contained."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import pytest

from backends.sandbox import SandboxLimits, bubblewrap_works, workspace
from schemas.outcome import Outcome


def _processes_matching(marker: str) -> int:
    """Processes whose command line holds `marker`: other sandboxes on the machine do not count."""
    done = subprocess.run(["pgrep", "-c", "-f", marker], capture_output=True, text=True, check=False)
    return int(done.stdout.strip() or 0)


def test_infinite_loop_ends_as_timeout() -> None:
    with workspace(SandboxLimits(wall_s=2)) as ws:
        started = time.monotonic()
        run = ws.run(["bash", "-c", "while true; do :; done"])
    assert run.timed_out and run.limit_outcome() is Outcome.TIMEOUT
    assert time.monotonic() - started < 10


def test_fork_bomb_is_contained_and_leaves_nothing_behind() -> None:
    marker = f"forge-fork-bomb-{uuid.uuid4().hex}"
    with workspace(SandboxLimits(wall_s=3, processes=32)) as ws:
        started = time.monotonic()
        ws.run(["bash", "-c", f":(){{ :|:& }};:; sleep 30 # {marker}"])
        elapsed = time.monotonic() - started
        time.sleep(0.5)
        after = ws.run(["bash", "-c", "echo still-works"])
    assert elapsed < 10
    assert after.stdout.strip() == "still-works"
    assert _processes_matching(marker) == 0


def test_output_flood_hits_file_size_limit() -> None:
    with workspace(SandboxLimits(wall_s=10, file_size_bytes=1 << 20)) as ws:
        run = ws.run(["bash", "-c", "yes flood"])
    assert run.limit_outcome() is Outcome.RESOURCE_EXCEEDED
    assert len(run.stdout) <= 512 * 1024


def test_environment_is_scrubbed_and_home_is_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "leak-me")
    with workspace() as ws:
        run = ws.run(["bash", "-c", "env; ls /root 2>&1; id -u"])
    assert "leak-me" not in run.stdout
    assert "AWS_SECRET" not in run.stdout


@pytest.mark.skipif(not bubblewrap_works(), reason="bubblewrap cannot create namespaces here")
def test_no_network_and_read_only_system() -> None:
    with workspace() as ws:
        run = ws.run(["bash", "-c", "cat /proc/net/dev | wc -l; touch /usr/x 2>&1; echo ok > mine && cat mine"])
    lines = run.stdout.strip().splitlines()
    assert lines[0] == "3"  # header lines + loopback only: no network interfaces
    assert "Read-only file system" in run.stdout or "Permission denied" in run.stdout
    assert lines[-1] == "ok"


def test_concurrent_runs_keep_their_own_exit_status() -> None:
    """Runs from several threads: reaping bubblewrap orphans must never steal another run's status."""
    from concurrent.futures import ThreadPoolExecutor

    def exit_codes(code: int) -> list[int]:
        with workspace() as ws:
            return [ws.run(["bash", "-c", f"exit {code}"]).returncode for _ in range(15)]

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(exit_codes, [3, 4, 5]))
    assert results == [[3] * 15, [4] * 15, [5] * 15]


def test_forked_worker_still_reaps() -> None:
    """A worker forked from a process that already ran the sandbox re-arms the subreaper flag."""
    import multiprocessing

    with workspace() as ws:
        ws.run(["true"])
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        assert pool.apply(_ten_runs_then_count_zombies) == 0


def _ten_runs_then_count_zombies() -> int:
    with workspace() as ws:
        for _ in range(10):
            ws.run(["true"])
    time.sleep(0.2)
    with workspace() as ws:
        ws.run(["true"])
    done = subprocess.run(["ps", "--ppid", str(os.getpid()), "-o", "stat="], capture_output=True, text=True)
    return sum(line.startswith("Z") for line in done.stdout.split())
