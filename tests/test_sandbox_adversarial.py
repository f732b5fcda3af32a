"""Hostile candidates against the sandbox and the worker around it (issue: "the sandbox and the worker
hold against a hostile candidate"); the per-domain suites are tests/test_sandbox_adversarial_<d>.py.

Each test is one mechanism a candidate used, run in every isolation mode it applies to: bubblewrap
and the util-linux fallback (`unshare`); `none` only where it is meant to hold (uid, cgroup, limits).
A canary outside the workspace (root's, 0600) must stay unread and unchanged throughout.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from backends import isolation, job_cgroup
from backends.sandbox import GiB, MiB, SandboxLimits, SandboxUnavailable, WorkspaceSealed, workspace
from backends.workspace_files import UnsafeWorkspaceFile
from schemas.outcome import Outcome

ROOT = os.geteuid() == 0
ISOLATED = [m for m in (isolation.Mode.BWRAP, isolation.Mode.UNSHARE) if isolation.works(m)]
ALL_MODES = [*ISOLATED, isolation.Mode.NONE]
REPO = Path(__file__).resolve().parent.parent
needs_root = pytest.mark.skipif(not ROOT, reason="per-job uids and cgroups need the worker to be root")
needs_cgroup = pytest.mark.skipif(job_cgroup.probe() is None, reason="no cgroup can be made here")


@pytest.fixture
def canary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A root-only secret outside any workspace; checked unchanged afterwards."""
    directory = tmp_path_factory.mktemp("canary")
    secret = directory / "secret"
    secret.write_text(f"CANARY-{uuid.uuid4().hex}\n")
    secret.chmod(0o600)
    before = (secret.read_text(), secret.stat().st_mtime_ns)
    yield secret
    assert (secret.read_text(), secret.stat().st_mtime_ns) == before
    assert sorted(p.name for p in directory.iterdir()) == ["secret"]


@pytest.fixture(params=ALL_MODES, ids=str)
def any_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> isolation.Mode:
    monkeypatch.setenv(isolation.SANDBOX_ENV, str(request.param))
    return request.param


@pytest.fixture(params=ISOLATED, ids=str)
def isolated_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> isolation.Mode:
    monkeypatch.setenv(isolation.SANDBOX_ENV, str(request.param))
    return request.param


def _count(marker: str) -> int:
    """Processes on the machine whose command line holds `marker`."""
    done = subprocess.run(["pgrep", "-c", "-f", marker], capture_output=True, text=True, check=False)
    return int(done.stdout.strip() or 0)


# --- confused deputy: the worker follows nothing the candidate made ---------------------------------


def test_planted_links_fifos_and_floods_are_refused_not_followed(any_mode: isolation.Mode, canary: Path) -> None:
    with workspace(SandboxLimits(wall_s=10)) as ws:
        run = ws.run(["sh", "-c", f"ln -s {canary} out.txt; mkdir d; ln -s {canary.parent} d/up; mkfifo pipe; "
                      "mkdir -p real; ln -s /proc/self/environ env; head -c 5000000 /dev/zero > big"])
        assert run.ok, run.stderr
        for name in ("out.txt", "d/up/secret", "pipe", "env", "real"):
            with pytest.raises(UnsafeWorkspaceFile):
                ws.read_text(name)
        assert ws.read_text("missing.txt") is None
        assert len(ws.read_bytes("big", limit=1000) or b"") == 1000
        assert ws.files() == ["big"]


def test_captured_output_cannot_be_swapped_for_a_link(any_mode: isolation.Mode, canary: Path) -> None:
    """The old worker reopened stdout by path in a directory the sandbox user owned."""
    script = (
        "out=$(readlink /proc/$$/fd/1); err=$(readlink /proc/$$/fd/2); "
        f'rm -f "$out" "$err" 2>/dev/null; ln -s {canary} "$out" 2>/dev/null; ln -s {canary} "$err" 2>/dev/null; '
        "echo done"
    )
    with workspace(SandboxLimits(wall_s=10)) as ws:
        run = ws.run(["sh", "-c", script])
    assert canary.read_text().strip() not in run.stdout + run.stderr
    assert "done" in run.stdout


def test_nothing_is_written_into_a_workspace_after_a_run(any_mode: isolation.Mode, canary: Path) -> None:
    with workspace(SandboxLimits(wall_s=10)) as ws:
        ws.write("input.txt", "trusted")
        ws.run(["sh", "-c", f"ln -s {canary} next.txt"])
        with pytest.raises(WorkspaceSealed):
            ws.write("next.txt", "the next job's golden")


@needs_root
def test_workspace_cannot_be_renamed_away_from_the_worker(any_mode: isolation.Mode, canary: Path) -> None:
    """The job directory above the workspace is root's: the workspace stays where the worker holds it."""
    with workspace(SandboxLimits(wall_s=10)) as ws:
        run = ws.run(["sh", "-c", f'mv "{ws.path}" "{ws.path}.gone" 2>&1; ln -s {canary.parent} "{ws.path}" 2>&1; '
                      "echo kept > marker"])
        assert ws.read_text("marker") == "kept\n", run.stdout


# --- secrets never reach a candidate -------------------------------------------------------------


def test_no_secret_in_the_candidate_environment_or_readable_from_the_worker(
    any_mode: isolation.Mode, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv("FORGE_OPENAI_API_KEY", secret)
    script = f"env; cat /proc/{os.getpid()}/environ; for f in /proc/[0-9]*/environ; do cat $f; done; echo end"
    with workspace(SandboxLimits(wall_s=20)) as ws:
        run = ws.run(["sh", "-c", script])
    assert "end" in run.stdout
    assert secret not in run.stdout + run.stderr


def test_ray_workers_hold_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Execution workers are started without the driver's credentials."""
    import ray

    from backends import pool

    if ray.is_initialized():
        pytest.skip("Ray already started by another test in this process, with its environment")
    secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv("FORGE_OPENAI_API_KEY", secret)
    pool.ensure_ray()
    try:
        worker = pool.ExecutionWorker.remote("verilog")
        environment = ray.get(worker.environment.remote(), timeout=120)
        assert secret not in environment.values()
        assert os.environ["FORGE_OPENAI_API_KEY"] == secret  # the driver keeps it for the policy
    finally:
        ray.shutdown()


# --- one job cannot touch another ------------------------------------------------------------------


@needs_root
def test_concurrent_jobs_have_distinct_uids_and_kill_minus_one_reaches_only_its_own(any_mode: isolation.Mode) -> None:
    started = threading.Event()

    def victim() -> str:
        with workspace(SandboxLimits(wall_s=20)) as ws:
            started.set()
            return ws.run(["sh", "-c", "id -u; sleep 3; echo survived"]).stdout

    def attacker() -> str:
        started.wait(10)
        time.sleep(0.5)
        with workspace(SandboxLimits(wall_s=20)) as ws:
            return ws.run(["sh", "-c", "id -u; kill -9 -1; echo attacked"]).stdout

    with ThreadPoolExecutor(2) as threads:
        victim_out, attacker_out = threads.submit(victim), threads.submit(attacker)
        victim_lines, attacker_lines = victim_out.result().split(), attacker_out.result().split()
    assert victim_lines[-1] == "survived"
    assert victim_lines[0] != attacker_lines[0]


@needs_root
def test_one_job_holding_processes_does_not_starve_another(any_mode: isolation.Mode) -> None:
    """Under one shared uid, a candidate at its process limit made a concurrent correct job fail."""
    marker = f"forge-holder-{uuid.uuid4().hex}"
    holding = threading.Event()

    def holder() -> None:
        with workspace(SandboxLimits(wall_s=8, processes=32)) as ws:
            holding.set()
            ws.run(["bash", "-c", f"for i in $(seq 60); do (sleep 6 # {marker}\n) & done; wait"])

    with ThreadPoolExecutor(1) as threads:
        held = threads.submit(holder)
        holding.wait(10)
        time.sleep(1.5)
        with workspace(SandboxLimits(wall_s=10, processes=32)) as ws:
            run = ws.run(["bash", "-c", "for i in $(seq 10); do true & done; wait; echo ok"])
        held.result()
    assert run.ok and run.stdout.strip() == "ok", run.stderr
    assert _count(marker) == 0


# --- nothing outlives its job ---------------------------------------------------------------------


def test_no_process_survives_its_command(any_mode: isolation.Mode) -> None:
    marker = f"forge-leftover-{uuid.uuid4().hex}"
    with workspace(SandboxLimits(wall_s=10)) as ws:
        run = ws.run(["sh", "-c", f"setsid sh -c 'sleep 600 # {marker}' </dev/null >/dev/null 2>&1 & "
                      f"nohup sh -c 'sleep 600 # {marker}' >/dev/null 2>&1 & echo spawned"])
        assert "spawned" in run.stdout
        assert _count(marker) == 0
    assert _count(marker) == 0


def test_fork_bomb_orphans_are_all_reaped(any_mode: isolation.Mode) -> None:
    marker = f"forge-bomb-{uuid.uuid4().hex}"
    with workspace(SandboxLimits(wall_s=3, processes=48)) as ws:
        ws.run(["bash", "-c", f"b(){{ b|b& }}; b; sleep 30 # {marker}"])
        time.sleep(0.3)
        assert _count(marker) == 0
        again = ws.run(["bash", "-c", "echo still-works"])
    assert again.stdout.strip() == "still-works"
    assert _count(marker) == 0


# --- memory is capped in aggregate ---------------------------------------------------------------

_HOG = "import time; b = bytearray({size}); b[::4096] = b'x' * len(b[::4096]); time.sleep(5)"


@needs_cgroup
def test_memory_is_capped_for_the_job_as_a_whole(any_mode: isolation.Mode) -> None:
    """Five children of 300 MiB each stay under a 1 GiB per-process limit but not under a 1 GiB job cap."""
    limits = SandboxLimits(wall_s=20, address_space_bytes=1 * GiB, memory_bytes=1 * GiB)
    hog = _HOG.format(size=300 * MiB)
    with workspace(limits) as ws:
        run = ws.run(["bash", "-c", f"for i in 1 2 3 4 5; do python3 -c \"{hog}\" & done; wait; echo finished"])
        peak = ws.cgroup.peak_memory_bytes() if ws.cgroup else 0
    assert run.oom_killed
    assert run.limit_outcome() is Outcome.RESOURCE_EXCEEDED or "finished" in run.stdout
    assert peak <= 1 * GiB + 16 * MiB


# --- the fallback holds: no network, no host files, no project source ------------------------------


def test_no_network_reaches_a_host_listener(isolated_mode: isolation.Mode) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.1)
        port = listener.getsockname()[1]
        with workspace(SandboxLimits(wall_s=10)) as ws:
            run = ws.run(["bash", "-c", f"echo hi > /dev/tcp/127.0.0.1/{port} && echo connected || echo refused"])
        with pytest.raises(TimeoutError):
            listener.accept()
    assert "refused" in run.stdout


def test_host_files_and_the_project_source_are_out_of_reach(isolated_mode: isolation.Mode, canary: Path) -> None:
    with workspace(SandboxLimits(wall_s=10)) as ws:
        run = ws.run(["sh", "-c", f"cat {canary}; echo x > {canary.parent}/planted; cat {REPO}/README.md; "
                      f"ls {REPO}; echo x > /usr/planted; echo end"])
    assert canary.read_text().strip() not in run.stdout
    assert "Industrial Code Forge" not in run.stdout
    assert not Path("/usr/planted").exists()
    assert "end" in run.stdout


def test_auto_never_falls_back_to_no_isolation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(isolation.SANDBOX_ENV, "auto")
    monkeypatch.setattr(isolation, "works", lambda mode: False)
    with pytest.raises(SandboxUnavailable, match=f"{isolation.SANDBOX_ENV}=none"):
        isolation.chosen()


def test_each_run_records_its_isolation(any_mode: isolation.Mode) -> None:
    with workspace(SandboxLimits(wall_s=10)) as ws:
        run = ws.run(["true"])
    assert run.isolation.split("+")[0] == str(any_mode)
    assert ("uid" in run.isolation.split("+")) is ROOT


def test_a_broken_sandbox_is_infrastructure_not_the_candidate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decided by the launcher's ready pipe: a candidate's own exit status and messages never say it."""
    from backends.sandbox import SandboxFailure

    with workspace(SandboxLimits(wall_s=10)) as ws:
        imitation = ws.run(["sh", "-c", "echo 'bwrap: Can not mount proc: Operation not permitted' >&2; exit 1"])
    assert imitation.returncode == 1  # an ordinary failed command, for the domain to judge
    monkeypatch.setattr(isolation, "_MARK_READY", "exit 1")  # the chain breaks before the tool starts
    with workspace(SandboxLimits(wall_s=10)) as ws, pytest.raises(SandboxFailure):
        ws.run(["true"])


def test_limits_end_the_tool_in_every_mode(any_mode: isolation.Mode) -> None:
    """In the unshare mode the tool must not be its namespace's pid 1, where the kernel drops the
    default-action signals (SIGXFSZ, SIGXCPU) the limits are enforced with."""
    with workspace(SandboxLimits(wall_s=20, file_size_bytes=1 << 20, cpu_s=1)) as ws:
        flood = ws.run(["bash", "-c", "yes flood"])
        spin = ws.run(["bash", "-c", "while :; do :; done"])
    assert flood.limit_outcome() is Outcome.RESOURCE_EXCEEDED and not flood.timed_out
    assert spin.limit_outcome() is Outcome.TIMEOUT and not spin.timed_out


def test_hard_links_are_refused(any_mode: isolation.Mode) -> None:
    """Where fs.protected_hardlinks is off, a hard link is a way to a root-only file elsewhere."""
    with workspace(SandboxLimits(wall_s=10)) as ws:
        ws.run(["sh", "-c", "echo data > out.txt && ln out.txt second"])
        with pytest.raises(UnsafeWorkspaceFile, match="hard links"):
            ws.read_text("out.txt")
