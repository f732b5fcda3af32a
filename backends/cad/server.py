"""The warm CAD harness: one sandboxed process imports CadQuery once and runs each job in a fresh fork.

Importing CadQuery/OCP, numpy and scipy costs ~4 CPU-seconds (a quarter of a minute of wall time on a
loaded machine), several times what a seed part's script, export and comparison take. So `warm.py`
starts `python -S -B server.py SITE_PACKAGES TMP` once per worker, in a workspace holding `runner.py`,
`measure.py`, `sampling.py`, this file and two FIFOs, and sends it jobs on `requests`: per job a
header (its length in 8 bytes, then JSON: `{"job": NAME, "timeout_s": T, "files": [[FILE, SIZE], ...]}`)
followed by the bytes of the job's files (`part.py`, `reference.py`, `harness.json`). The server
splices those bytes into `jobs/NAME/` (kernel to kernel: the golden script never enters the memory of
the server, which every job process and candidate is forked from; the job process reads it only after
forking the candidate, as one-shot), forks a job process that runs exactly what the one-shot
`runner.py` runs, in that directory, and answers one JSON line on `replies`: the job's exit status,
whether it ran past its deadline, and the report. The host then reads the job's stdout, stderr and
exports from `jobs/NAME/` through the workspace's descriptor-based readers; it never writes into this
workspace once the server runs, so a link a candidate planted there is followed, if at all, by this
sandboxed process alone.

Why a job cannot vouch for itself or reach the next one:
- the channels to the host are open file descriptors only: the server unlinks both FIFOs once it has
  opened them, before it imports anything, the job process closes them, and the candidate's process
  also closes the pipe its job process reports through (`runner._child`); the server is non-dumpable,
  so its descriptors cannot be reached through /proc either. A report is what the job process wrote,
  never a file;
- the server is the subreaper of every process a job starts, and after each job it kills all of them
  (`runner.kill_descendants`: a daemon in its own session too) before it answers, so none lives on to
  touch the reply, the outputs the host reads next or the next job's files. Before each job it
  removes what an earlier one left: every new entry of the workspace (`jobs/` included, a link there
  too) and, where /tmp is the sandbox's own (`TMP` = `private`: bubblewrap, unshare), of /tmp;
- the harness imports nothing from its (candidate-writable) directory after start-up
  (`runner.prepare`), so a planted module shadows nothing.
Residual risk: jobs of one server share its uid. A process is killed if it descends from the server,
which is everything inside a pid namespace (bubblewrap, unshare). Without namespaces (`none`), a
candidate that has some other service of the machine start a process under its uid escapes the sweep
until the server's own sandbox ends (the workspace kills its cgroup and uid), and leftovers in the
host's /tmp stay; that mode isolates little anyway (docs/threat-model.md).
A candidate that kills or stops the server itself ends the sandbox; the host then reruns that job
alone in a one-shot sandbox (`execute.py`), so the verdict never depends on a damaged server.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback

FILES = ("runner.py", "measure.py", "sampling.py", "server.py")  # the harness, copied into the workspace
REQUESTS = "requests"
REPLIES = "replies"
JOBS = "jobs"
STDOUT = "stdout"
STDERR = "stderr"
HEADER_PREFIX_BYTES = 8  # a request header's length, big-endian
PRIVATE_TMP = "private"  # the TMP argument where /tmp is the sandbox's own, safe to tidy
# A job's CPU and wall allowance beyond the candidate's own limit: the reference script, the export
# and the comparison (seconds each on a loaded machine, more for a grossly oversized candidate).
JOB_OVERHEAD_S = 60.0
_POLL_S = 0.05


def _job(directory: str, timeout_s: float, report_fd: int, channels: tuple[int, ...]) -> None:
    """The job process: the one-shot harness in `directory`, its report written to `report_fd`; never returns."""
    import runner  # a sibling file in the workspace, imported by `serve` already

    status = 1
    try:
        for fd in channels:
            os.close(fd)
        os.setpgid(0, 0)
        os.chdir(directory)
        for fd, path in ((1, STDOUT), (2, STDERR)):
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            os.dup2(out, fd)
            os.close(out)
        cpu_s = int(timeout_s + JOB_OVERHEAD_S) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))  # SIGXCPU (TIMEOUT) before SIGKILL
        report = json.dumps(runner.run(timeout_s, private_fds=(report_fd,))).encode()
        while report:
            report = report[os.write(report_fd, report) :]
        status = 0
    except BaseException:  # noqa: BLE001 - the harness failed: its traceback is the job's stderr
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _wait(pid: int, report_fd: int, deadline: float) -> tuple[int | None, bytes, float]:
    """(wait status or None past the deadline, report bytes, CPU seconds of the job and the candidate),
    reading the report while the job runs (a long one would otherwise fill the pipe and stall the job)."""
    chunks: list[bytes] = []
    eof = False
    while True:
        if eof:
            time.sleep(0.005)  # the job exits right after closing its end
        elif select.select([report_fd], [], [], _POLL_S)[0]:
            chunk = os.read(report_fd, 1 << 16)
            chunks.append(chunk)
            eof = not chunk
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            os.set_blocking(report_fd, False)
            with contextlib.suppress(BlockingIOError):  # what it wrote just before exiting
                while not eof and (chunk := os.read(report_fd, 1 << 16)):
                    chunks.append(chunk)
            return status, b"".join(chunks), usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            return None, b"", 0.0


def _remove(path: str) -> None:
    """Remove an entry whatever it is; a link is removed, never followed (`rmtree` works from descriptors)."""
    with contextlib.suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


def _tidy(keep: dict[str, set[str]]) -> None:
    """Remove what earlier jobs left: new entries in the workspace (every job directory with them) and,
    where it is the sandbox's own, in /tmp. `keep` holds what those directories held at start-up: the
    harness, and in /tmp the sandbox's own binds (site-packages), which must not even be walked. No
    process of an earlier job is alive by now, so nothing can plant an entry behind our back."""
    for directory, known in keep.items():
        for entry in set(os.listdir(directory)) - known:
            _remove(os.path.join(directory, entry))


def _read_exact(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise EOFError(f"the request stream ended {size - len(data)} bytes short")
        data += chunk
    return data


def _receive(requests: int) -> dict | None:
    """The next job's header (`header` in the host's `WarmHarness._send`); None when the host closed the stream."""
    prefix = os.read(requests, HEADER_PREFIX_BYTES)
    if not prefix:
        return None
    prefix += _read_exact(requests, HEADER_PREFIX_BYTES - len(prefix))
    return json.loads(_read_exact(requests, int.from_bytes(prefix, "big")))


def _prepare(header: dict, requests: int) -> str:
    """`jobs/NAME/` made afresh (after `_tidy`), the job's files spliced into it from the request
    stream; returns its path."""
    name = str(header["job"])
    if not name.isalnum():
        raise ValueError(f"job name {name!r} is not alphanumeric")
    os.mkdir(JOBS, 0o700)
    directory = os.path.join(JOBS, name)
    os.mkdir(directory, 0o700)
    for filename, size in header["files"]:
        if os.path.basename(filename) != filename or filename in ("", ".", ".."):
            raise ValueError(f"job file name {filename!r} is not a plain file name")
        fd = os.open(os.path.join(directory, filename), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            left = int(size)
            while left:
                moved = os.splice(requests, fd, left)
                if not moved:
                    raise EOFError(f"the request stream ended {left} bytes into {filename}")
                left -= moved
        finally:
            os.close(fd)
    return directory


def _run_job(header: dict, requests: int, channels: tuple[int, ...], keep: dict[str, set[str]]) -> dict:
    import runner  # a sibling file in the workspace, imported by `serve` already

    name, timeout_s = str(header["job"]), float(header["timeout_s"])
    _tidy(keep)
    directory = _prepare(header, requests)
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(report_r)
        _job(directory, timeout_s, report_w, channels)
    os.close(report_w)
    status, report, cpu_s = _wait(pid, report_r, time.monotonic() + timeout_s + JOB_OVERHEAD_S)
    os.close(report_r)
    runner.kill_descendants()  # the job process too, when it ran past its deadline
    returncode = os.waitstatus_to_exitcode(status) if status is not None else -signal.SIGKILL
    try:
        parsed = json.loads(report) if report and status is not None and returncode == 0 else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("metrics"), dict):
        parsed["metrics"]["cpu_s"] = cpu_s
    return {"job": name, "returncode": returncode, "timed_out": status is None, "report": parsed}


def serve(site: str, tmp: str) -> None:
    """Open the channels (both ends already held by the host), unlink them, import, say ready, run jobs until EOF."""
    import runner  # a sibling file in the workspace (module level, it would break the host's import)

    replies = os.open(REPLIES, os.O_WRONLY)
    requests = os.open(REQUESTS, os.O_RDONLY)
    for fifo in (REQUESTS, REPLIES):
        os.unlink(fifo)
    import_s = runner.prepare(site)
    ctypes.CDLL(None).prctl(runner.PR_SET_DUMPABLE, 0, 0, 0, 0)
    runner.become_subreaper()
    keep = {".": set(os.listdir("."))} | ({"/tmp": set(os.listdir("/tmp"))} if tmp == PRIVATE_TMP else {})
    os.write(replies, (json.dumps({"ready": True, "import_s": import_s}) + "\n").encode())
    while (header := _receive(requests)) is not None:
        reply = (json.dumps(_run_job(header, requests, (requests, replies), keep)) + "\n").encode()
        while reply:
            reply = reply[os.write(replies, reply) :]


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
