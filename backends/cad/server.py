"""The warm CAD harness: one sandboxed process imports CadQuery once and runs each job in a fresh fork.

Importing CadQuery/OCP, numpy and scipy costs ~4 CPU-seconds (a quarter of a minute of wall time on a
loaded machine), several times what a seed part's script, export and comparison take. So `warm.py`
starts `python -S -B server.py SITE_PACKAGES` once per worker, in a workspace holding `runner.py`,
`measure.py`, this file and two FIFOs, and sends it jobs: one JSON line `{"job": NAME, "timeout_s": T}`
on `requests` per job, whose files (`part.py`, `reference.py`, `harness.json`) are in `jobs/NAME/`.
The server forks a job process that runs exactly what the one-shot `runner.py` runs, in that
directory, and answers one JSON line on `replies`: the job's exit status, whether it ran past its
deadline, and the report.

Why a job cannot vouch for itself or reach the next one:
- the channels to the host are open file descriptors only: the host unlinks both FIFOs once the
  server is ready, the job process closes them, and the candidate's process also closes the pipe
  its job process reports through (`runner._child`); the server is non-dumpable, so its descriptors
  cannot be reached through /proc either. A report is what the job process wrote, never a file;
- after every job, every process in the sandbox's pid namespace but bubblewrap's init and the
  server is killed, so nothing a candidate started lives on into the next job, and what it wrote
  outside its job directory (workspace, /tmp) is removed. Without bubblewrap (the sandbox's
  fallback, no pid namespace, the host's /tmp) only the job's process group is killed and only the
  workspace tidied; the fallback isolates nothing between users of the sandbox account anyway;
- the harness imports nothing from its (candidate-writable) directory after start-up
  (`runner.prepare`), so a planted module shadows nothing.
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
# A job's CPU and wall allowance beyond the candidate's own limit: the reference script, the export
# and the comparison (seconds each on a loaded machine, more for a grossly oversized candidate).
JOB_OVERHEAD_S = 60.0
_POLL_S = 0.05


def _isolated() -> bool:
    """Whether we run as bubblewrap's command in its own pid namespace (bubblewrap is pid 1, our parent)."""
    try:
        with open("/proc/1/comm") as handle:
            return os.getppid() == 1 and handle.read().strip() == "bwrap"
    except OSError:
        return False


def _job(name: str, timeout_s: float, report_fd: int, channels: tuple[int, ...]) -> None:
    """The job process: the one-shot harness in `jobs/NAME`, its report written to `report_fd`; never returns."""
    import runner  # a sibling file in the workspace, imported by `serve` already

    status = 1
    try:
        for fd in channels:
            os.close(fd)
        os.setpgid(0, 0)
        os.chdir(os.path.join(JOBS, os.path.basename(name)))
        for fd, path in ((1, STDOUT), (2, STDERR)):
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, fd)
            os.close(out)
        cpu_s = int(timeout_s + JOB_OVERHEAD_S) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
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


def _kill_strays(job: int, isolated: bool) -> None:
    """Kill the job's process group and, in our own pid namespace, every process but init and us."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(job, signal.SIGKILL)
    if not isolated:
        return
    for _ in range(100):  # a fork bomb refills /proc while we kill; the process limit bounds it
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]
        if not others:
            return
        for pid in others:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)  # bubblewrap's init reaps them


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


def _tidy(job: str, keep: dict[str, set[str]]) -> None:
    """Remove what a candidate left outside its job directory (the host removes that one): new entries
    in the workspace and, in our own namespace, /tmp (memory-backed there), and other job directories.
    `keep` holds what those directories held at start-up: the harness, and in /tmp the sandbox's
    own binds (site-packages), which must not even be walked."""
    for directory, known in keep.items():
        for entry in set(os.listdir(directory)) - known:
            _remove(os.path.join(directory, entry))
    for entry in os.listdir(JOBS):
        if entry != job:
            _remove(os.path.join(JOBS, entry))


def _run_job(name: str, timeout_s: float, channels: tuple[int, ...], isolated: bool, keep: dict[str, set[str]]) -> dict:
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(report_r)
        _job(name, timeout_s, report_w, channels)
    os.close(report_w)
    status, report, cpu_s = _wait(pid, report_r, time.monotonic() + timeout_s + JOB_OVERHEAD_S)
    os.close(report_r)
    if status is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)  # reaped before the sweep, which would otherwise wait for its zombie
    _kill_strays(pid, isolated)
    _tidy(os.path.basename(name), keep)
    returncode = os.waitstatus_to_exitcode(status) if status is not None else -signal.SIGKILL
    try:
        parsed = json.loads(report) if report and status is not None and returncode == 0 else None
    except ValueError:
        parsed = None
    if parsed is not None:
        parsed.setdefault("metrics", {})["cpu_s"] = cpu_s
    return {"job": name, "returncode": returncode, "timed_out": status is None, "report": parsed}


def serve(site: str) -> None:
    """Open the channels (in the order the host expects), import, say ready, run jobs until EOF."""
    import runner  # a sibling file in the workspace (module level, it would break the host's import)

    replies = os.open(REPLIES, os.O_WRONLY)
    requests = os.open(REQUESTS, os.O_RDONLY)
    import_s = runner.prepare(site)
    ctypes.CDLL(None).prctl(runner.PR_SET_DUMPABLE, 0, 0, 0, 0)
    isolated = _isolated()
    keep = {".": set(os.listdir("."))} | ({"/tmp": set(os.listdir("/tmp"))} if isolated else {})
    os.write(replies, (json.dumps({"ready": True, "import_s": import_s, "isolated": isolated}) + "\n").encode())
    with os.fdopen(requests, "r") as lines:
        for line in lines:
            job = json.loads(line)
            reply = _run_job(job["job"], float(job["timeout_s"]), (requests, replies), isolated, keep)
            os.write(replies, (json.dumps(reply) + "\n").encode())


if __name__ == "__main__":
    serve(sys.argv[1])
