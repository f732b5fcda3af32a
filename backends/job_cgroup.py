"""An aggregate memory and process cap per job, from the kernel's control groups.

Per-process rlimits do not add up: five children under a 3 GiB address-space limit hold 6 GiB
together. A job's processes all join one cgroup made for it under the worker's own cgroup, with
`memory` (no swap) and `pids` limits; the kernel's OOM killer then ends the job, not the machine,
and the worker reads the cgroup's own OOM counter to know that it did (an observation, not the
candidate's word). The cgroup also finds every process of the job to kill at its end, wherever it
double-forked to.

cgroup v2 is used where the worker's cgroup can delegate `memory` and `pids`; else cgroup v1's
`memory` and `pids` hierarchies (hybrid hosts, such as this project's machines). Where neither can be
written (no root, a locked-down container), `probe()` says so once and jobs fall back to rlimits
only: `RLIMIT_AS` per process and `RLIMIT_NPROC` per job uid, a weaker cap (docs/threat-model.md).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Hierarchy:
    """Where job cgroups are made: v2 (one directory) or v1 (a memory and a pids directory)."""

    version: int
    memory: Path
    pids: Path


def _own_paths() -> dict[str, str]:
    """This process's cgroup per controller ("" for the v2 unified one), from /proc/self/cgroup."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


def _v2_mount() -> Path | None:
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[2] == "cgroup2":
            return Path(fields[1])
    return None


def _delegates(base: Path) -> bool:
    """Whether children of v2 cgroup `base` get `memory` and `pids` (enabling them if we may)."""
    control = base / "cgroup.subtree_control"
    if not control.exists():
        return False
    if {"memory", "pids"} <= set(control.read_text().split()):
        return True
    try:  # refused (EBUSY) while processes live in `base` itself, or without write access
        control.write_text("+memory +pids")
    except OSError:
        return False
    return {"memory", "pids"} <= set(control.read_text().split())


def _candidates() -> list[Hierarchy]:
    own = _own_paths()
    found = []
    mount = _v2_mount()
    if mount is not None and "" in own:
        base = mount / own[""].lstrip("/")
        if _delegates(base):
            found.append(Hierarchy(2, base, base))
    if "memory" in own and "pids" in own and (_ROOT / "memory").is_dir() and (_ROOT / "pids").is_dir():
        memory, pids = _ROOT / "memory" / own["memory"].lstrip("/"), _ROOT / "pids" / own["pids"].lstrip("/")
        found.append(Hierarchy(1, memory, pids))
    return found


class JobCgroup:
    """One job's cgroup: made with its limits, joined by the launcher, killed and removed at the end."""

    def __init__(self, hierarchy: Hierarchy, memory_bytes: int, processes: int) -> None:
        self.hierarchy = hierarchy
        name = f"forge-job-{os.getpid()}-{secrets.token_hex(4)}"
        self.directories = list(dict.fromkeys([hierarchy.memory / name, hierarchy.pids / name]))
        for directory in self.directories:
            directory.mkdir()
        try:
            self.set_limits(memory_bytes, processes)
        except BaseException:
            self.remove()
            raise

    def set_limits(self, memory_bytes: int, processes: int) -> None:
        """The job's caps in aggregate: memory (swap included, so none), and processes."""
        memory, pids = self.directories[0], self.directories[-1]
        if self.hierarchy.version == 2:
            self._set(memory / "memory.max", memory_bytes)
            self._set(memory / "memory.swap.max", 0, optional=True)
        else:  # v1 wants memsw >= memory, so memory first when lowering, memsw first when raising
            for name in ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.limit_in_bytes"):
                with contextlib.suppress(OSError):
                    self._set(memory / name, memory_bytes, optional=True)
        self._set(pids / "pids.max", processes)

    @staticmethod
    def _set(path: Path, value: int, optional: bool = False) -> None:
        if optional and not path.exists():
            return
        path.write_text(str(value))

    @property
    def procs_files(self) -> list[str]:
        """The files a process writes its pid to, to join (the launcher does, before it runs anything)."""
        return [str(directory / "cgroup.procs") for directory in self.directories]

    def oom_kills(self) -> int:
        """How many of the job's processes the kernel's OOM killer ended."""
        memory = self.directories[0]
        text = (memory / ("memory.events" if self.hierarchy.version == 2 else "memory.oom_control")).read_text()
        found = re.search(r"^oom_kill (\d+)$", text, re.MULTILINE)
        if found:
            return int(found.group(1))
        failed = memory / "memory.failcnt"  # v1 kernels without the oom_kill field
        return int(failed.read_text()) if self.hierarchy.version == 1 and failed.exists() else 0

    def peak_memory_bytes(self) -> int:
        memory = self.directories[0]
        name = "memory.peak" if self.hierarchy.version == 2 else "memory.max_usage_in_bytes"
        with contextlib.suppress(OSError, ValueError):
            return int((memory / name).read_text())
        return 0

    def pids(self) -> list[int]:
        return sorted({int(pid) for d in self.directories for pid in (d / "cgroup.procs").read_text().split()})

    def kill(self, within_s: float = 5.0) -> None:
        """SIGKILL every process in the job until none is left (new forks included)."""
        kill_file = self.directories[0] / "cgroup.kill"
        deadline = time.monotonic() + within_s
        while pids := self.pids():
            if self.hierarchy.version == 2 and kill_file.exists():
                kill_file.write_text("1")
            else:
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                log.warning("job cgroup %s still holds %s after %.0f s", self.directories[0], pids, within_s)
                return
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill()
        for directory in self.directories:
            for _ in range(200):  # a killed process leaves its cgroup once it has been reaped
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
            else:
                log.warning("could not remove job cgroup %s", directory)


@functools.cache
def probe() -> Hierarchy | None:
    """The hierarchy job cgroups can be made in, checked once per process by making one."""
    for hierarchy in _candidates():
        try:
            JobCgroup(hierarchy, 64 << 20, 8).remove()
        except OSError as error:
            log.info("cgroup v%d at %s unusable for jobs: %s", hierarchy.version, hierarchy.memory, error)
            continue
        return hierarchy
    log.warning("no cgroup can be made for sandbox jobs: memory and processes are capped by rlimits only")
    return None
