"""The Python interpreter and package directories the sandbox user can reach.

Domains whose harness is Python (gpu: torch and Triton; cad: CadQuery) run it inside the sandbox as
the job's own uid (when we are root: an unnamed uid in no group, so only the "others" permission
bits let it in), where only /usr, /etc, the workspace at /work and the given read-only binds exist.
The worker's own interpreter may live where that uid cannot go (pyenv under /root, mode 700) or
under /work, which the workspace mount hides; then the system interpreter of the same
major.minor version runs instead (same ABI, so the same extension modules load). How each domain
exposes its package directories inside the sandbox (links in the workspace, or one in /tmp for a
long-lived server) is its own business; what may be bound is decided here.
"""

from __future__ import annotations

import os
import site
import stat
import sys
import sysconfig
from pathlib import Path

from backends.sandbox import INSIDE_WORKDIR, SandboxUnavailable


def reachable(path: Path) -> bool:
    """Whether an unprivileged user can reach and read/execute `path` (when we are root, jobs run as a
    uid that owns nothing and is in no group: the "others" bits decide)."""
    if os.geteuid() != 0:
        return os.access(path, os.R_OK)
    try:
        return all(p.stat().st_mode & stat.S_IXOTH for p in (*reversed(path.parents), path) if p.is_dir()) and bool(
            path.stat().st_mode & (stat.S_IROTH | stat.S_IXOTH)
        )
    except OSError:
        return False


def interpreter() -> tuple[str, str]:
    """(executable, its installation prefix) that a job's uid can run, with this process's Python version."""
    real = Path(sys.executable).resolve()
    if reachable(real) and not real.is_relative_to(INSIDE_WORKDIR):
        return str(real), str(real.parent.parent)
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if system.exists():
        return str(system), "/usr"
    raise SandboxUnavailable(
        f"the sandbox user cannot run {real} and there is no {system}: install python"
        f"{sys.version_info.major}.{sys.version_info.minor} under /usr/bin (make setup does) or the project's "
        "Python where an unprivileged user can read it"
    )


def prefix_binds(prefix: str) -> tuple[str, ...]:
    """What to bind read-only for the interpreter `interpreter()` chose: nothing for /usr (always there)."""
    return () if prefix == "/usr" else (prefix,)


def site_directories() -> list[Path]:
    """This process's package directories (the venv's first)."""
    paths = sysconfig.get_paths()
    found = [Path(paths["purelib"]), Path(paths["platlib"]), *map(Path, site.getsitepackages())]
    unique = []
    for path in found:
        if path.is_dir() and path not in unique:
            unique.append(path)
    return unique
