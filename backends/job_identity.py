"""One uid per concurrent job, so one candidate can never signal, trace or starve another.

When the worker is root, each workspace leases a uid of its own from a fixed range for its whole
life: the kernel then keeps jobs apart as it keeps users apart (no `kill`, no `ptrace`, no
`/proc/<pid>/environ` across jobs), and `RLIMIT_NPROC`, which counts a user's processes, becomes a
cap on the job's processes in aggregate. The range lies far above any account a distribution
creates (`FORGE_SANDBOX_UIDS=START:COUNT` moves it). Leases are `flock`s on files in a root-only
directory, so the worker processes of one machine (Ray actors) never hand out the same uid twice
and a crashed worker's leases free themselves. Before a uid is handed out and after its job, every
process it still owns is killed.

Not root (a developer's own account): there is no uid to switch to; every job runs as the caller,
and the isolation mode says so (`Lease.shared`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

UIDS_ENV = "FORGE_SANDBOX_UIDS"
DEFAULT_UIDS = (2_100_000_000, 1024)
_LOCK_DIRS = (Path("/run/forge-sandbox"), Path("/var/lock/forge-sandbox"))


class NoFreeUid(RuntimeError):
    """Every uid of the range is held by a running job on this machine."""


@dataclass(frozen=True)
class Lease:
    """The uid (and gid: the same number) a job runs as; `shared` when it is the worker's own."""

    uid: int
    shared: bool


def uid_range() -> range:
    spec = os.environ.get(UIDS_ENV)
    if not spec:
        start, count = DEFAULT_UIDS
    else:
        try:
            start, count = (int(part) for part in spec.split(":"))
        except ValueError:
            raise ValueError(f"{UIDS_ENV}={spec!r}: expected START:COUNT, e.g. 2100000000:1024") from None
        if start < 1000 or count < 1:
            raise ValueError(f"{UIDS_ENV}={spec!r}: START must be at least 1000 and COUNT at least 1")
    return range(start, start + count)


def _lock_directory() -> Path:
    """A directory only root can write, made if needed and checked (no candidate can have made it)."""
    for directory in _LOCK_DIRS:
        with contextlib.suppress(FileExistsError, FileNotFoundError, PermissionError):
            directory.mkdir(mode=0o700)
        try:
            info = directory.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == 0 and not info.st_mode & 0o022:
            return directory
    raise PermissionError(f"none of {', '.join(map(str, _LOCK_DIRS))} is a root-owned directory others cannot write")


def kill_all(uid: int) -> None:
    """SIGKILL every process `uid` owns: `kill -9 -1` run as that uid reaches exactly those."""
    subprocess.run(["kill", "-9", "-1"], user=uid, group=uid, extra_groups=[], check=False, capture_output=True)


@contextlib.contextmanager
def lease() -> Iterator[Lease]:
    """A uid no other running job holds (root), or the caller's own (not root)."""
    if os.geteuid() != 0:
        yield Lease(uid=os.geteuid(), shared=True)
        return
    directory = _lock_directory()
    for uid in uid_range():
        fd = os.open(directory / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                continue
            raise
        try:
            kill_all(uid)  # a worker that died mid-job may have left its processes
            yield Lease(uid=uid, shared=False)
        finally:
            kill_all(uid)
            os.close(fd)
        return
    span = uid_range()
    raise NoFreeUid(f"all {len(span)} sandbox uids {span.start}..{span.stop - 1} are in use; widen {UIDS_ENV}")
