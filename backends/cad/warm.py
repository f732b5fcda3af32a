"""Warm CAD harness servers, host side: start `server.py` sandboxes, hand them jobs, retire them.

A worker keeps one idle server per concurrent caller (a Ray actor: one), started on first use: the
first job pays the CadQuery import, every later one only forks. `server.py` says what a job is and
why jobs cannot reach each other; this module owns the channels and what the host touches:
- everything it writes into the server's workspace is written before the server starts: the
  harness files and two FIFOs, which the host opens at once (the request FIFO read-write, so the
  open needs no reader yet) and the server unlinks once it has opened them. From then on only open
  descriptors connect host and server: a job's files travel inside its request and the server
  writes them, sandboxed, so no link a candidate plants can steer a write of the host's (and the
  server splices them without reading them, so the golden script is never in its memory);
- what it reads from that workspace (a job's stdout, stderr and exports) it reads through the
  workspace's descriptor-based readers (`Workspace.read_bytes`: no link followed, no FIFO opened,
  size-capped), after the server has killed every process of the job;
- to stop a server it kills the workspace's processes (`Workspace.kill`: its cgroup and uid).

A server that dies, stops answering within the job's deadline plus `REPLY_MARGIN_S`, or cannot be
started raises `HarnessLost`; it is killed and dropped, and the caller runs that job one-shot.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import secrets
import select
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from backends import isolation
from backends.cad import server
from backends.cad.interpreter import SandboxPython
from backends.sandbox import GiB, SandboxLimits, SandboxRun, Workspace, workspace

log = logging.getLogger(__name__)

# The server lives as long as its worker; these bound an abandoned one. Its own CPU is the import and
# the bookkeeping (each job's CPU is its job process's, limited there); 3 GiB as for a one-shot run.
SERVER_LIMITS = SandboxLimits(wall_s=12 * 3600.0, cpu_s=3600, address_space_bytes=3 * GiB)
STARTUP_S = 300.0  # importing CadQuery: ~4 CPU-s, half a minute or more on a loaded machine
REPLY_MARGIN_S = 30.0
_HERE = Path(__file__).parent


class HarnessLost(RuntimeError):
    """The warm server died, hung or never started; the message holds what it printed."""


@dataclass(frozen=True)
class HarnessRun:
    """How one harness run ended (`run`, and the harness's `report`, None without one) and where its
    files are: `directory` of `ws` ("" for a one-shot workspace, `jobs/NAME` for a warm job)."""

    run: SandboxRun
    report: object
    ws: Workspace
    directory: str = ""

    def read_bytes(self, name: str, limit: int | None = None) -> bytes | None:
        """File `name` of the run's directory, by `Workspace.read_bytes`'s rules."""
        return self.ws.read_bytes(f"{self.directory}/{name}" if self.directory else name, limit)


class WarmHarness:
    """One running `server.py` sandbox; `job` runs one candidate in it. Not thread-safe: one caller at a time."""

    def __init__(self, python: SandboxPython, env: dict[str, str]) -> None:
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(workspace(SERVER_LIMITS, read_only=python.read_only))
        self.ws.env.update(env)
        self._ended: SandboxRun | None = None
        self._failure: BaseException | None = None
        self._requests = self._replies = -1
        self._buffer = b""
        # /tmp is the sandbox's own tmpfs in bubblewrap and unshare, the host's without namespaces
        tmp = server.PRIVATE_TMP if self.ws.mode is not isolation.Mode.NONE else "host"
        try:
            self._start([*python.argv, "server.py", python.site_packages, tmp])
        except BaseException:
            self.close()
            raise

    def _start(self, argv: list[str]) -> None:
        for name in server.FILES:
            self.ws.write(name, (_HERE / name).read_text())
        self._requests, self._replies = self._channels()
        self._thread = threading.Thread(target=self._serve, args=(argv,), name="cad-warm-harness", daemon=True)
        self._thread.start()
        ready = self._reply(time.monotonic() + STARTUP_S)
        log.info("CAD harness server ready (%s): CadQuery imported in %.1f s", self.ws.isolation, ready["import_s"])

    def _channels(self) -> tuple[int, int]:
        """The request and reply FIFOs, made in the still unused workspace and opened before the server
        starts: no path of the workspace is opened once anything ran there. The request end is opened
        read-write (Linux lets a FIFO be opened so without waiting for a reader); the server unlinks
        both once it holds them. Both belong to the job's uid, who runs the server."""
        fds = []
        for name, flags in ((server.REQUESTS, os.O_RDWR), (server.REPLIES, os.O_RDONLY)):
            path = self.ws.path / name
            os.mkfifo(path, 0o600)
            if not self.ws.lease.shared:
                os.chown(path, self.ws.lease.uid, self.ws.lease.uid)
            fds.append(os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC))
        return fds[0], fds[1]

    def _serve(self, argv: list[str]) -> None:
        try:
            self._ended = self.ws.run(argv)
        except BaseException as error:  # noqa: BLE001 - reported by `_lost` to the caller's thread
            self._failure = error

    def _lost(self, what: str) -> HarnessLost:
        self.kill()
        ended = self._ended
        output = f"\n{ended.stderr.strip()}\n{ended.stdout.strip()}".rstrip() if ended else ""
        status = f" (exit status {ended.returncode})" if ended else f" ({self._failure})" if self._failure else ""
        return HarnessLost(f"CAD harness server {what}{status}{output}")

    def _send(self, name: str, timeout_s: float, files: dict[str, str], deadline: float) -> None:
        """One job on the request FIFO (framed as `server._receive` reads it: the files' bytes after the
        header, for the server to splice); a server that stops reading runs into the deadline."""
        contents = [text.encode() for text in files.values()]
        sizes = [[filename, len(content)] for filename, content in zip(files, contents, strict=True)]
        header = json.dumps({"job": name, "timeout_s": timeout_s, "files": sizes}).encode()
        data = b"".join([len(header).to_bytes(server.HEADER_PREFIX_BYTES, "big"), header, *contents])
        while data:
            left = deadline - time.monotonic()
            if left <= 0 or not self._thread.is_alive():
                raise self._lost("took no job")
            if select.select([], [self._requests], [], min(left, 1.0))[1]:
                with contextlib.suppress(BlockingIOError):
                    data = data[os.write(self._requests, data) :]

    def _reply(self, deadline: float) -> dict:
        """The server's next JSON line."""
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._lost("did not answer in time")
            if select.select([self._replies], [], [], min(left, 1.0))[0]:
                chunk = os.read(self._replies, 1 << 16)
                if not chunk:
                    raise self._lost("ended")
                self._buffer += chunk
            elif not self._thread.is_alive():
                raise self._lost("ended")
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    @property
    def alive(self) -> bool:
        return self._requests >= 0 and self._thread.is_alive()

    def job(self, files: dict[str, str], timeout_s: float) -> HarnessRun:
        """Run one candidate; its outputs stay readable in `jobs/NAME` until the next job."""
        name = secrets.token_hex(8)
        started = time.monotonic()
        deadline = started + timeout_s + server.JOB_OVERHEAD_S + REPLY_MARGIN_S
        self._send(name, timeout_s, files, deadline)
        reply = self._reply(deadline)
        if reply.get("job") != name:
            raise self._lost(f"answered for job {reply.get('job')!r}, not {name!r}")
        code, timed_out = int(reply["returncode"]), bool(reply["timed_out"])
        directory = f"{server.JOBS}/{name}"
        run = SandboxRun(
            argv=("server.py", name),
            returncode=code,
            stdout=self.ws.read_text(f"{directory}/{server.STDOUT}") or "",
            stderr=self.ws.read_text(f"{directory}/{server.STDERR}") or "",
            duration_s=time.monotonic() - started,
            timed_out=timed_out,
            signal=-code if code < 0 and not timed_out else None,
            isolation=self.ws.isolation,
        )
        return HarnessRun(run, reply["report"], self.ws, directory)

    def kill(self) -> None:
        """End the server's sandbox now: every process of its workspace (cgroup and uid)."""
        self.ws.kill()
        if hasattr(self, "_thread"):
            self._thread.join(timeout=10)

    def close(self) -> None:
        """Stop the server (end of its request stream, then a kill if it lingers) and remove its workspace."""
        for fd in (self._requests, self._replies):
            if fd >= 0:
                os.close(fd)
        self._requests = self._replies = -1
        if hasattr(self, "_thread"):
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                self.kill()
        self._stack.close()


_idle: list[WarmHarness] = []
_idle_lock = threading.Lock()
_unstartable: list[str] = []  # why a server could not start: then no other is tried in this process


def _take(python: SandboxPython, env: dict[str, str]) -> WarmHarness:
    """An idle live server of the isolation mode asked for now, else a new one (the pool grows to the
    number of concurrent callers; a server of another mode would record the wrong isolation)."""
    mode = isolation.chosen()
    with _idle_lock:
        while _idle:
            harness = _idle.pop()
            if harness.alive and harness.ws.mode is mode:
                return harness
            harness.close()
    if _unstartable:
        raise HarnessLost(_unstartable[0])
    try:
        harness = WarmHarness(python, env)
    except HarnessLost as error:
        _unstartable.append(f"{error} (no warm server in this process since)")
        raise
    # Registered anew after the server's sandbox run has made its temporary directory: atexit runs
    # last-registered first, so the servers stop before that directory's finalizer removes it.
    atexit.unregister(close_all)
    atexit.register(close_all)
    return harness


@contextlib.contextmanager
def job(python: SandboxPython, env: dict[str, str], files: dict[str, str], timeout_s: float) -> Iterator[HarnessRun]:
    """`WarmHarness.job` on a pooled server, held for the block (its outputs are read there); `python`
    and `env` only matter to a server started here. A block that raises drops the server."""
    harness = _take(python, env)
    try:
        yield harness.job(files, timeout_s)
    except BaseException:
        harness.close()
        raise
    with _idle_lock:
        _idle.append(harness)


def close_all() -> None:
    """Stop every idle server (their sandboxes die with this process anyway; this removes the workspaces)."""
    with _idle_lock:
        while _idle:
            _idle.pop().close()
