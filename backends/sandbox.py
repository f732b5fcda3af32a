"""The sandbox every candidate runs in.

Each candidate gets a fresh temporary directory (`Sandbox.workspace()`); each command in it runs as a
subprocess in a new session with:
- a wall-clock timeout that SIGKILLs the whole process group (and, under bubblewrap, the pid
  namespace with it), so a runaway simulation ends as TIMEOUT and the worker lives on;
- rlimits via `prlimit`: CPU seconds, address space, processes, file size, open files. stdout and
  stderr go to files, so a candidate that prints forever hits the file-size limit, not our memory;
- a scrubbed environment (PATH, HOME, LANG only);
- when started as root, an unprivileged user (nobody), so the process limit really binds — the
  kernel does not apply RLIMIT_NPROC to root;
- isolation by bubblewrap where the kernel allows it: no network, own pid/ipc/uts namespaces,
  read-only system directories, only the workspace writable. Where bubblewrap is missing or user
  namespaces are disabled, the fallback runs the command directly with all of the above except the
  namespaces (no network isolation): `FORGE_SANDBOX=none` forces it, `FORGE_SANDBOX=bwrap` makes its
  absence an error instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from schemas.outcome import Outcome

log = logging.getLogger(__name__)

SANDBOX_ENV = "FORGE_SANDBOX"
NOBODY = 65534
GiB = 1 << 30
MiB = 1 << 20
# Directories a tool may read inside bubblewrap; everything else is absent.
SYSTEM_PATHS: tuple[str, ...] = ("/usr", "/etc")
INSIDE_WORKDIR = "/work"


class SandboxUnavailable(RuntimeError):
    """The isolation asked for cannot be had on this machine."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one command. Defaults fit a Verilog compile + simulation with room to spare."""

    wall_s: float = 30.0
    cpu_s: int = 60
    address_space_bytes: int = 4 * GiB
    processes: int = 64
    file_size_bytes: int = 64 * MiB
    open_files: int = 256

    def prlimit_args(self) -> list[str]:
        return [
            "prlimit",
            f"--cpu={self.cpu_s}",
            f"--as={self.address_space_bytes}",
            f"--nproc={self.processes}",
            f"--fsize={self.file_size_bytes}",
            f"--nofile={self.open_files}",
            "--",
        ]


@dataclass(frozen=True)
class SandboxRun:
    """How one command ended. `signal` is set when a signal ended it (directly or via a shell)."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool
    signal: int | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def limit_outcome(self) -> Outcome | None:
        """The outcome when a limit or a fatal signal ended the run, whatever the domain."""
        if self.timed_out or self.signal == signal.SIGXCPU:
            return Outcome.TIMEOUT
        if self.signal == signal.SIGXFSZ:
            return Outcome.RESOURCE_EXCEEDED
        if self.signal in (signal.SIGSEGV, signal.SIGBUS):
            return Outcome.MEMORY_FAULT
        if self.signal == signal.SIGKILL:  # not ours (that is timed_out): the kernel's OOM killer
            return Outcome.RESOURCE_EXCEEDED
        return None


def _signal_of(returncode: int) -> int | None:
    """Python reports -N for a signal; a shell or bubblewrap in between reports 128+N."""
    if returncode < 0:
        return -returncode
    if 128 < returncode < 128 + 65:
        return returncode - 128
    return None


PR_SET_CHILD_SUBREAPER = 36


_subreaper_pid = 0  # the process that set the flag: a forked child inherits this value, not the flag
# Children that a `Workspace.run` is waiting for: the reaper must leave them to their own `Popen`.
_running: set[int] = set()
_children_lock = threading.Lock()


def _become_subreaper() -> None:
    """Adopt orphaned descendants. bubblewrap's inner process outlives its parent by a moment and
    is re-parented; where the machine's init does not reap (containers, microVMs), each run would
    leave a zombie owned by nobody, and zombies count against the process limit."""
    global _subreaper_pid
    if _subreaper_pid != os.getpid():
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        _subreaper_pid = os.getpid()


def _reap_orphaned_bwrap() -> None:
    """Reap adopted bubblewrap zombies, never a child another thread's `Popen` is waiting for."""
    with _children_lock:
        for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
            for pid in children.read_text().split():
                with contextlib.suppress(OSError, ValueError):
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    name, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2]
                    if name == "bwrap" and state == "Z" and int(pid) not in _running:
                        os.waitpid(int(pid), os.WNOHANG)


@functools.cache
def bubblewrap_works() -> bool:
    """Whether bubblewrap can create its namespaces here (probed once per process)."""
    if shutil.which("bwrap") is None:
        return False
    _become_subreaper()
    probe = subprocess.run(
        [*_bwrap_args(Path(tempfile.gettempdir()), ()), "true"],
        capture_output=True,
        user=NOBODY if os.geteuid() == 0 else None,
        check=False,
    )
    if probe.returncode != 0:
        log.warning("bubblewrap unusable, sandbox falls back to rlimits only: %s", probe.stderr.decode().strip())
    return probe.returncode == 0


def _use_bubblewrap() -> bool:
    mode = os.environ.get(SANDBOX_ENV, "auto")
    if mode == "none":
        return False
    if mode == "bwrap" and not bubblewrap_works():
        raise SandboxUnavailable(f"{SANDBOX_ENV}=bwrap but bubblewrap cannot run here")
    return bubblewrap_works()


def _bwrap_args(workdir: Path, read_only: Sequence[str]) -> list[str]:
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev"]
    args += ["--tmpfs", "/tmp"]
    for link in ("lib", "lib64", "bin", "sbin"):
        if Path(f"/usr/{link}").exists():
            args += ["--symlink", f"usr/{link}", f"/{link}"]
    for path in (*SYSTEM_PATHS, *read_only):
        # A device node (a GPU's /dev/nvidia*) needs --dev-bind: --ro-bind mounts it nodev, unopenable.
        args += ["--dev-bind" if path.startswith("/dev/") else "--ro-bind", path, path]
    return [*args, "--bind", str(workdir), INSIDE_WORKDIR, "--chdir", INSIDE_WORKDIR, "--"]


def _tail(path: Path, limit: int) -> str:
    """At most `limit` bytes of an output file: its head and its tail, where the tools say most."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        if size <= limit:
            return handle.read().decode(errors="replace")
        head = handle.read(limit // 2).decode(errors="replace")
        handle.seek(size - limit // 2)
        tail = handle.read().decode(errors="replace")
    return f"{head}\n[... {size - limit} bytes trimmed ...]\n{tail}"


@dataclass
class Workspace:
    """A fresh directory for one candidate; every command runs inside it under the same limits."""

    path: Path
    limits: SandboxLimits
    read_only: tuple[str, ...] = ()
    capture_bytes: int = 256 * 1024
    env: dict[str, str] = field(default_factory=dict)

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        target.write_text(text)
        return target

    def run(self, argv: Sequence[str], limits: SandboxLimits | None = None) -> SandboxRun:
        """Run `argv` (paths relative to the workspace) under the sandbox; never raises on the command's failure."""
        limits = limits or self.limits
        as_nobody = os.geteuid() == 0
        command = [*limits.prlimit_args()]
        isolated = _use_bubblewrap()
        if isolated:
            _become_subreaper()
            command += _bwrap_args(self.path, self.read_only)
        command += list(argv)
        env = {"PATH": "/usr/bin:/bin", "HOME": INSIDE_WORKDIR, "LANG": "C.UTF-8", "TMPDIR": "/tmp", **self.env}
        with tempfile.TemporaryDirectory(prefix="forge-out-") as out:
            stdout_path, stderr_path = Path(out, "stdout"), Path(out, "stderr")
            with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
                if as_nobody:
                    os.chown(out, NOBODY, NOBODY)
                started = time.monotonic()
                with _children_lock:  # registered before any reaper can see it exit
                    process = self._spawn(command, env, stdout, stderr, as_nobody)
                    _running.add(process.pid)
                try:
                    returncode, timed_out = self._wait(process, limits.wall_s)
                finally:
                    _running.discard(process.pid)
                duration = time.monotonic() - started
                if isolated:
                    _reap_orphaned_bwrap()
            return SandboxRun(
                argv=tuple(argv),
                returncode=returncode,
                stdout=_tail(stdout_path, self.capture_bytes),
                stderr=_tail(stderr_path, self.capture_bytes),
                duration_s=duration,
                timed_out=timed_out,
                signal=None if timed_out else _signal_of(returncode),
            )

    def _spawn(
        self, command: list[str], env: dict[str, str], stdout: IO[bytes], stderr: IO[bytes], as_nobody: bool
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command,
            cwd=self.path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            user=NOBODY if as_nobody else None,
            group=NOBODY if as_nobody else None,
            extra_groups=[] if as_nobody else None,
        )

    @staticmethod
    def _wait(process: subprocess.Popen[bytes], wall_s: float) -> tuple[int, bool]:
        """(returncode, timed out); the process group is killed either way, so background
        children (a fork bomb's) never outlive the run."""
        timed_out = False
        try:
            process.wait(timeout=wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return process.wait(), timed_out


@contextlib.contextmanager
def workspace(limits: SandboxLimits | None = None, read_only: Sequence[str] = ()) -> Iterator[Workspace]:
    """A fresh temporary workspace, removed afterwards (owned by nobody when we are root)."""
    path = Path(tempfile.mkdtemp(prefix="forge-sandbox-"))
    try:
        if os.geteuid() == 0:
            os.chown(path, NOBODY, NOBODY)
        yield Workspace(path=path, limits=limits or SandboxLimits(), read_only=tuple(read_only))
    finally:
        shutil.rmtree(path, ignore_errors=True)
