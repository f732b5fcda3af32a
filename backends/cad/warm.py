"""Warm CAD harness servers, host side: start `server.py` sandboxes, hand them jobs, retire them.

A worker keeps one idle server per concurrent caller (a Ray actor: one), started on first use: the
first job pays the CadQuery import, every later one only forks. `server.py` says what a job is and
why jobs cannot reach each other; this module owns the channels: two FIFOs in the server's
workspace, opened by both sides at start-up and unlinked as soon as the server says it is ready,
so from then on only open descriptors connect host and server.

A server that dies, stops answering within the job's deadline plus `REPLY_MARGIN_S`, or cannot be
started raises `HarnessLost`; it is killed and dropped, and the caller runs that job one-shot.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import logging
import os
import secrets
import select
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from backends.cad import server
from backends.cad.interpreter import SandboxPython
from backends.sandbox import NOBODY, GiB, SandboxLimits, SandboxRun, _tail, workspace

log = logging.getLogger(__name__)

# The server lives as long as its worker; these bound an abandoned one. Its own CPU is the import and
# the bookkeeping (each job's CPU is its job process's, limited there); 3 GiB as for a one-shot run.
SERVER_LIMITS = SandboxLimits(wall_s=12 * 3600.0, cpu_s=3600, address_space_bytes=3 * GiB)
STARTUP_S = 300.0  # importing CadQuery: ~4 CPU-s, half a minute or more on a loaded machine
REPLY_MARGIN_S = 30.0
_HERE = Path(__file__).parent


class HarnessLost(RuntimeError):
    """The warm server died, hung or never started; the message holds what it printed."""


class WarmHarness:
    """One running `server.py` sandbox; `job` runs one candidate in it. Not thread-safe: one caller at a time."""

    def __init__(self, python: SandboxPython, env: dict[str, str]) -> None:
        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(workspace(SERVER_LIMITS, read_only=python.read_only))
        self.ws.env.update(env)
        self._ended: SandboxRun | None = None
        self._requests = self._replies = -1
        self._buffer = b""
        try:
            self._start([*python.argv, "server.py", python.site_packages])
        except BaseException:
            self.close()
            raise

    def _start(self, argv: list[str]) -> None:
        for name in server.FILES:
            self.ws.write(name, (_HERE / name).read_text())
        self._own(self.ws.path / server.JOBS, directory=True)
        fifos = [self.ws.path / server.REQUESTS, self.ws.path / server.REPLIES]
        for fifo in fifos:
            os.mkfifo(fifo, 0o600)
            self._own(fifo)
        self._replies = os.open(fifos[1], os.O_RDONLY | os.O_NONBLOCK)
        self._thread = threading.Thread(target=self._serve, args=(argv,), name="cad-warm-harness", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_S
        self._requests = self._connect(fifos[0], deadline)
        ready = self._reply(deadline)
        for fifo in fifos:
            fifo.unlink()
        self.import_s, self.isolated = float(ready["import_s"]), bool(ready["isolated"])

    @staticmethod
    def _own(path: Path, directory: bool = False) -> None:
        if directory:
            path.mkdir()
        if os.geteuid() == 0:
            os.chown(path, NOBODY, NOBODY)

    def _serve(self, argv: list[str]) -> None:
        self._ended = self.ws.run(argv)

    def _lost(self, what: str) -> HarnessLost:
        self.kill()
        ended = self._ended
        output = f"\n{ended.stderr.strip()}\n{ended.stdout.strip()}".rstrip() if ended else ""
        status = f" (exit status {ended.returncode})" if ended else ""
        return HarnessLost(f"CAD harness server {what}{status}{output}")

    def _connect(self, fifo: Path, deadline: float) -> int:
        """Open the request FIFO for writing: possible once the server has opened it for reading."""
        while True:
            try:
                return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                if error.errno != errno.ENXIO:
                    raise
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise self._lost("did not start")
            time.sleep(0.02)

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

    @contextlib.contextmanager
    def job(self, files: dict[str, str], timeout_s: float) -> Iterator[tuple[SandboxRun, dict | None, Path]]:
        """Run one candidate: (how the job process ended, its report or None, its directory). The
        directory (exports in it) is removed when the block ends."""
        name = secrets.token_hex(8)
        path = self.ws.path / server.JOBS / name
        self._own(path, directory=True)
        try:
            for filename, text in files.items():
                (path / filename).write_text(text)
            started = time.monotonic()
            try:
                os.write(self._requests, (json.dumps({"job": name, "timeout_s": timeout_s}) + "\n").encode())
            except (BrokenPipeError, BlockingIOError) as error:
                raise self._lost(f"took no job ({error})") from None
            reply = self._reply(started + timeout_s + server.JOB_OVERHEAD_S + REPLY_MARGIN_S)
            code = int(reply["returncode"])
            run = SandboxRun(
                argv=("server.py", name),
                returncode=code,
                stdout=_tail(path / server.STDOUT, self.ws.capture_bytes) if (path / server.STDOUT).exists() else "",
                stderr=_tail(path / server.STDERR, self.ws.capture_bytes) if (path / server.STDERR).exists() else "",
                duration_s=time.monotonic() - started,
                timed_out=bool(reply["timed_out"]),
                signal=-code if code < 0 and not reply["timed_out"] else None,
            )
            yield run, reply["report"], path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def kill(self) -> None:
        """End the server's sandbox now: SIGKILL to the process group of our child that runs it."""
        for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
            for pid in children.read_text().split():
                with contextlib.suppress(OSError):
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    if str(self.ws.path).encode() in cmdline or os.readlink(f"/proc/{pid}/cwd") == str(self.ws.path):
                        os.killpg(int(pid), signal.SIGKILL)
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
    """An idle live server, else a new one (the pool grows to the number of concurrent callers)."""
    with _idle_lock:
        while _idle:
            harness = _idle.pop()
            if harness.alive:
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
def job(
    python: SandboxPython, env: dict[str, str], files: dict[str, str], timeout_s: float
) -> Iterator[tuple[SandboxRun, dict | None, Path]]:
    """`WarmHarness.job` on a pooled server; `python` and `env` only matter to a server started here."""
    harness = _take(python, env)
    try:
        with harness.job(files, timeout_s) as outcome:
            yield outcome
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
