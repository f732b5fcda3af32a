"""The Python the sandbox runs the CAD harness with, and the paths it must see.

The interpreter is the one `backends.sandbox_python` finds the sandbox user can run (the system
python of our minor version where ours is out of reach), started with `-S` (no system
site-packages). The venv's site-packages is bound through a symlink in the temporary directory
(`/tmp/forge-cad-site-<hash>`) rather than in a workspace, because a warm harness server outlives
the workspaces of the candidates it runs: bubblewrap binds the symlink's target at the symlink's own
path, inside the sandbox's private /tmp where nothing shadows it (a venv under /work would be hidden
by the workspace mount); without bubblewrap the symlink itself is followed.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import stat
import subprocess
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from backends.sandbox_python import interpreter, prefix_binds, reachable


class CadEnvironmentError(RuntimeError):
    """The machine cannot run the CAD harness in the sandbox; the message says what to fix."""


@dataclass(frozen=True)
class SandboxPython:
    """`argv` starts the interpreter; `site_packages` is where CadQuery is, as the sandbox sees it."""

    argv: tuple[str, ...]
    site_packages: str
    read_only: tuple[str, ...]
    version: str


def _site_link(site: Path) -> Path:
    """A symlink to `site` in the temporary directory, created atomically and reused only if it is
    ours: without namespaces candidates share that directory, and one could have made the link
    first (to a `cadquery` of its own, or to swap later: its own entry, which the sticky bit lets it
    replace, where ours it cannot). The staging name is random, so none can be planted ahead of it."""
    link = Path(tempfile.gettempdir()) / f"forge-cad-site-{hashlib.sha256(str(site).encode()).hexdigest()[:12]}"
    try:
        info = link.lstat()
        ours = stat.S_ISLNK(info.st_mode) and info.st_uid == os.geteuid() and os.readlink(link) == str(site)
    except FileNotFoundError:
        ours = False
    if not ours:
        staging = link.with_name(f"{link.name}.{secrets.token_hex(8)}")
        staging.symlink_to(site)
        os.replace(staging, link)
    return link


@functools.cache
def _resolved() -> tuple[Path, str, tuple[str, ...], str]:
    """(site-packages, interpreter, its binds, its version), checked once per process."""
    site = Path(sysconfig.get_paths()["purelib"])
    if not (site / "cadquery").is_dir():
        raise CadEnvironmentError(f"CadQuery is not installed in {site}: .venv/bin/pip install cadquery==2.8.0")
    if not reachable(site):
        raise CadEnvironmentError(f"{site} is not readable by the sandbox user: make its parents world-searchable")
    python, prefix = interpreter()
    probe = subprocess.run([python, "-S", "-c", "import sys; print(sys.version.split()[0])"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return site, python, prefix_binds(prefix), probe.stdout.strip()


def sandbox_python() -> SandboxPython:
    """Raises `CadEnvironmentError` (or `SandboxUnavailable`: no interpreter the sandbox user can run)
    when CadQuery cannot run sandboxed. The symlink is checked on every call, so a cleaned-up
    temporary directory costs one re-creation, not every later run."""
    site, python, binds, version = _resolved()
    link = _site_link(site)
    return SandboxPython((python, "-S", "-B"), str(link), (*binds, str(link)), version)
