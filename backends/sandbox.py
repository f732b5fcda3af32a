"""The sandbox every candidate runs in (threat model: docs/threat-model.md).

Each candidate gets a job (`workspace()`): a fresh directory, a uid of its own (`job_identity`), a
cgroup with an aggregate memory and process cap (`job_cgroup`), and an isolation mode
(`isolation`: bubblewrap, util-linux namespaces, or — only when asked for by name — none). Each
command in it runs in a new session with:
- a wall-clock timeout; at the end of every command, timed out or not, every process of the job is
  killed (its cgroup, then its uid), so nothing a candidate starts outlives the command;
- rlimits via `prlimit`: CPU seconds, address space, processes, file size, open files. stdout and
  stderr go to anonymous files the worker opened, so a candidate that prints forever hits the
  file-size limit, not our memory, and has no path to swap them for a link;
- a scrubbed environment (PATH, HOME, LANG, USER only, plus what the backend adds).

The worker never follows what a candidate could have made: the workspace is read and written through
a directory descriptor without following links (`workspace_files`), only regular files, size-capped,
and nothing is written into it once a command has run there (`WorkspaceSealed`). The job directory
above the workspace is root's and closed to others, so the workspace cannot be renamed away.
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

from backends import isolation, job_cgroup, job_identity, workspace_files
from backends.isolation import INSIDE_WORKDIR, SANDBOX_ENV, SandboxUnavailable
from schemas.outcome import Outcome

log = logging.getLogger(__name__)

__all__ = ["INSIDE_WORKDIR", "SANDBOX_ENV", "SandboxUnavailable"]

GiB = 1 << 30
MiB = 1 << 20


class SandboxFailure(RuntimeError):
    """The sandbox broke before the command started (the ready pipe stayed silent): the
    infrastructure's failure, never the candidate's; the worker reports it as INFRA_ERROR."""


class WorkspaceSealed(RuntimeError):
    """A write into a workspace after a command ran there: a candidate may have planted anything in
    it by then. Write every input before the first run, or use a fresh workspace."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one command. Defaults fit a Verilog compile + simulation with room to spare.

    `memory_bytes` caps the job's processes together (its cgroup; None: `address_space_bytes`), where
    `address_space_bytes` caps each process alone; `processes` caps both the job's uid and its cgroup.
    """

    wall_s: float = 30.0
    cpu_s: int = 60
    address_space_bytes: int = 4 * GiB
    processes: int = 64
    file_size_bytes: int = 64 * MiB
    open_files: int = 256
    memory_bytes: int | None = None

    def prlimit_args(self) -> list[str]:
        return [
            "prlimit",
            f"--cpu={self.cpu_s}:{self.cpu_s + 1}",  # SIGXCPU (TIMEOUT) first; SIGKILL if it is ignored
            f"--as={self.address_space_bytes}",
            f"--nproc={self.processes}",
            f"--fsize={self.file_size_bytes}",
            f"--nofile={self.open_files}",
            "--",
        ]

    @property
    def aggregate_memory_bytes(self) -> int:
        return self.memory_bytes or self.address_space_bytes


@dataclass(frozen=True)
class SandboxRun:
    """How one command ended. `signal` is set when a signal ended it (directly or via a shell);
    `oom_killed` when the kernel's OOM killer ended a process of the job (its cgroup's counter)."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool
    signal: int | None = None
    oom_killed: bool = False
    isolation: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def limit_outcome(self) -> Outcome | None:
        """The outcome when a limit or a fatal signal ended the run, whatever the domain."""
        if self.timed_out or self.signal == signal.SIGXCPU:
            return Outcome.TIMEOUT
        if self.oom_killed or self.signal == signal.SIGXFSZ:
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
    leave a zombie, and zombies count against the process limit."""
    global _subreaper_pid
    if _subreaper_pid != os.getpid():
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        _subreaper_pid = os.getpid()


def _reap_orphans() -> None:
    """Reap adopted zombies, never a child another thread's `Popen` is waiting for."""
    with _children_lock:
        for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
            for pid in children.read_text().split():
                with contextlib.suppress(OSError, ValueError):
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    state = stat[stat.rindex(")") + 2]
                    if state == "Z" and int(pid) not in _running:
                        os.waitpid(int(pid), os.WNOHANG)


def bubblewrap_works() -> bool:
    """Whether bubblewrap can create its namespaces here (probed once per process)."""
    return isolation.works(isolation.Mode.BWRAP)


def _captured(handle: IO[bytes], limit: int) -> str:
    """At most `limit` bytes of an output file: its head and its tail, where the tools say most."""
    size = os.fstat(handle.fileno()).st_size
    handle.seek(0)
    if size <= limit:
        return handle.read().decode(errors="replace")
    head = handle.read(limit // 2).decode(errors="replace")
    handle.seek(size - limit // 2)
    tail = handle.read().decode(errors="replace")
    return f"{head}\n[... {size - limit} bytes trimmed ...]\n{tail}"


@dataclass
class Workspace:
    """A fresh directory for one job; every command runs inside it under the job's limits, uid,
    cgroup and isolation mode. Read and write it only through its methods (see the module doc)."""

    path: Path
    limits: SandboxLimits
    read_only: tuple[str, ...] = ()
    capture_bytes: int = 256 * 1024
    env: dict[str, str] = field(default_factory=dict)
    mode: isolation.Mode = isolation.Mode.BWRAP
    lease: job_identity.Lease = field(default_factory=lambda: job_identity.Lease(os.geteuid(), shared=True))
    cgroup: job_cgroup.JobCgroup | None = None
    new_root: Path | None = None
    _fd: int = -1
    _ran: bool = False

    def __post_init__(self) -> None:
        self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)

    @property
    def isolation(self) -> str:
        """What held this job, as recorded in each result: the mode, a job uid, a cgroup."""
        return _describe(self.mode, self.lease.shared, self.cgroup.hierarchy if self.cgroup else None)

    def write(self, name: str, content: str | bytes, mode: int = 0o644) -> None:
        """Create `name` (parents made) before any command has run here; see `WorkspaceSealed`."""
        self._make_parents(name)
        data = content.encode() if isinstance(content, str) else content
        workspace_files.write_beneath(self._fd, name, data, mode)

    def symlink(self, name: str, target: str) -> None:
        """A link the worker itself plants (before any run): the sandbox binds what it points at."""
        self._make_parents(name)
        os.symlink(target, self.path / name)

    def _make_parents(self, name: str) -> None:
        """The directories above `name`, in a workspace no command has run in yet."""
        if self._ran:
            raise WorkspaceSealed(f"{name}: the workspace {self.path} is sealed, a command already ran in it")
        parts = name.split("/")
        for depth in range(1, len(parts)):
            with contextlib.suppress(FileExistsError):
                workspace_files.make_directory_beneath(self._fd, "/".join(parts[:depth]))

    def read_bytes(self, name: str, limit: int | None = None) -> bytes | None:
        """Regular file `name` (at most `limit` bytes, default `capture_bytes`), None when absent.
        Raises `workspace_files.UnsafeWorkspaceFile` for a link, FIFO, device or directory."""
        return workspace_files.read_beneath(self._fd, name, limit or self.capture_bytes)

    def read_text(self, name: str, limit: int | None = None) -> str | None:
        data = self.read_bytes(name, limit)
        return None if data is None else data.decode(errors="replace")

    def size(self, name: str) -> int | None:
        return workspace_files.file_size_beneath(self._fd, name)

    def files(self, directory: str = ".") -> list[str]:
        """Regular files directly in `directory` (links and others skipped), sorted."""
        return sorted(workspace_files.list_beneath(self._fd, directory))

    def run(self, argv: Sequence[str], limits: SandboxLimits | None = None) -> SandboxRun:
        """Run `argv` (paths relative to the workspace) in the job; never raises on the command's
        failure. Raises `SandboxFailure` when the sandbox broke before the command started."""
        limits = limits or self.limits
        self._ran = True
        if self.cgroup is not None:
            self.cgroup.set_limits(limits.aggregate_memory_bytes, limits.processes)
        oom_before = self.cgroup.oom_kills() if self.cgroup is not None else 0
        command = isolation.launch_command(
            self.mode,
            uid=None if self.lease.shared else self.lease.uid,
            cgroup_procs=self.cgroup.procs_files if self.cgroup is not None else (),
            rlimits=limits.prlimit_args(),
            workdir=self.path,
            new_root=self.new_root or self.path,
            read_only=self.read_only,
            argv=argv,
        )
        env = {
            "PATH": "/usr/bin:/bin", "HOME": INSIDE_WORKDIR, "LANG": "C.UTF-8", "TMPDIR": "/tmp",
            "USER": "forge-job", "LOGNAME": "forge-job", **self.env,
        }  # fmt: skip
        if self.mode is isolation.Mode.BWRAP:
            _become_subreaper()
        ready_read, ready_write = os.pipe()
        with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
            started = time.monotonic()
            try:
                with _children_lock:  # registered before any reaper can see it exit
                    process = subprocess.Popen(
                        command, cwd=self.path, env=env, stdin=ready_write, stdout=stdout, stderr=stderr,
                        start_new_session=True,
                    )  # fmt: skip
                    _running.add(process.pid)
            finally:
                os.close(ready_write)
            try:
                returncode, timed_out = self._wait(process, limits.wall_s)
            finally:
                _running.discard(process.pid)
                self.kill()
                os.set_blocking(ready_read, False)
                try:
                    ready = os.read(ready_read, len(isolation.READY)) == isolation.READY
                except BlockingIOError:
                    ready = False
                os.close(ready_read)
            duration = time.monotonic() - started
            _reap_orphans()
            if not ready and not timed_out:
                raise SandboxFailure(
                    f"the {self.mode} sandbox did not start {argv[0]!r} (exit status {returncode}): "
                    f"{_captured(stderr, 4096).strip()}"
                )
            return SandboxRun(
                argv=tuple(argv),
                returncode=returncode,
                stdout=_captured(stdout, self.capture_bytes),
                stderr=_captured(stderr, self.capture_bytes),
                duration_s=duration,
                timed_out=timed_out,
                signal=None if timed_out else _signal_of(returncode),
                oom_killed=self.cgroup is not None and self.cgroup.oom_kills() > oom_before,
                isolation=self.isolation,
            )

    def kill(self) -> None:
        """End every process of the job now: its cgroup's (no process can leave it), else its uid's.
        The lease kills the uid's processes once more when the job ends."""
        if self.cgroup is not None:
            self.cgroup.kill()
        elif not self.lease.shared:
            job_identity.kill_all(self.lease.uid)

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

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _describe(mode: isolation.Mode, shared_uid: bool, cgroup: job_cgroup.Hierarchy | None) -> str:
    return "+".join([str(mode), *([] if shared_uid else ["uid"]), *([f"cgroup-v{cgroup.version}"] if cgroup else [])])


def describe() -> str:
    """What holds a job started now in this process (`Workspace.isolation` of a new workspace)."""
    return _describe(isolation.chosen(), os.geteuid() != 0, job_cgroup.probe())


@functools.cache
def _warned_none() -> None:
    log.warning("%s=none: candidates run without namespaces (network and host files reachable)", SANDBOX_ENV)


@contextlib.contextmanager
def workspace(limits: SandboxLimits | None = None, read_only: Sequence[str] = ()) -> Iterator[Workspace]:
    """A fresh job: workspace directory, uid, cgroup, isolation mode; all removed afterwards.

    Layout: `<tmp>/forge-job-XXXX/` (root's, 0711: others may pass, not list or rename) holds `ws/`
    (the job uid's, 0700: the candidate's workspace) and `root/` (the unshare mode's mount point)."""
    limits = limits or SandboxLimits()
    mode = isolation.chosen()
    if mode is isolation.Mode.NONE:
        _warned_none()
    job_dir = Path(tempfile.mkdtemp(prefix="forge-job-"))
    with contextlib.ExitStack() as stack:
        stack.callback(_remove_tree, job_dir)
        os.chmod(job_dir, 0o711)
        lease = stack.enter_context(job_identity.lease())
        path, new_root = job_dir / "ws", job_dir / "root"
        path.mkdir(mode=0o700)
        new_root.mkdir(mode=0o700)
        if not lease.shared:
            os.chown(path, lease.uid, lease.uid)
        hierarchy = job_cgroup.probe()
        cgroup = None
        if hierarchy is not None:
            cgroup = job_cgroup.JobCgroup(hierarchy, limits.aggregate_memory_bytes, limits.processes)
            stack.callback(cgroup.remove)
        ws = Workspace(
            path=path, limits=limits, read_only=tuple(read_only), mode=mode, lease=lease, cgroup=cgroup,
            new_root=new_root,
        )  # fmt: skip
        stack.callback(ws.close)
        stack.callback(ws.kill)
        yield ws


def _remove_tree(path: Path) -> None:
    """Remove a job directory; `shutil.rmtree` works from descriptors and never follows links."""
    shutil.rmtree(path, ignore_errors=True)
