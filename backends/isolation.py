"""The isolation modes a sandboxed command runs under, and the trusted launch chain of each.

- `bwrap`: bubblewrap in an unprivileged user namespace: no network, own pid/ipc/uts namespaces,
  only /usr, /etc, the given read-only paths and the workspace (at /work) exist, /tmp is private.
- `unshare`: the same view built by root with util-linux (`unshare` for the network, pid, ipc, uts
  and mount namespaces; `mount` and `pivot_root` for the file tree; `setpriv` to drop to the job's
  uid with no capabilities and `no_new_privs`): for machines without bubblewrap, such as the GPU
  machine. Needs root.
- `none`: no namespaces; only the job uid, the job cgroup and the rlimits hold. The candidate can
  reach the network and read what any user can. It runs only when `FORGE_SANDBOX=none` asks for it
  in so many words; `auto` never falls back to it.

`FORGE_SANDBOX` = `auto` (default: bwrap, else unshare, else refuse), or a mode to insist on.

Every chain ends with the same few lines of shell, run as the job's uid inside the isolation just
before the tool is executed: they write `ready` on a pipe (the chain's standard input) whose other
end only the worker holds, and replace it with /dev/null. A run whose pipe never said `ready` failed
before any candidate code ran: that is the infrastructure's failure (`SandboxFailure`), decided
from what the worker saw, never from an exit status or a message a candidate could imitate.
"""

from __future__ import annotations

import enum
import functools
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

SANDBOX_ENV = "FORGE_SANDBOX"
INSIDE_WORKDIR = "/work"
# Directories a tool may read inside the isolation; everything else is absent.
SYSTEM_PATHS: tuple[str, ...] = ("/usr", "/etc")
READY = b"ready"


class Mode(enum.StrEnum):
    BWRAP = "bwrap"
    UNSHARE = "unshare"
    NONE = "none"


class SandboxUnavailable(RuntimeError):
    """The isolation asked for cannot be had on this machine."""


# Runs as the job uid, inside the isolation, right before the tool. The launch chain's standard input
# is the write end of the ready pipe (the one descriptor number every shell can name): this writes
# `ready` on it and puts /dev/null in its place, so no candidate ever holds it.
_MARK_READY = 'printf ready >&0 || exit 125; exec </dev/null; exec "$@"'

# Runs as root in the worker's namespaces: joins the job's cgroups, then executes the rest.
_JOIN_CGROUPS = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'

# Runs as root as pid 1 of fresh namespaces (`unshare`): builds the sandbox's file tree on a tmpfs at
# $1 (an empty root-owned directory), the workspace $2 at /work, read-only binds for the paths up
# to `--`, then pivots into it and runs the rest as its child. It stays pid 1 itself, waiting: the
# kernel drops default-action signals sent to a namespace's init, so a tool running as pid 1 would
# survive its own SIGXFSZ/SIGXCPU; its status is the child's (128+N for signal N, as a shell says).
# (A background child's stdin would be /dev/null: the ready pipe is handed over explicitly as fd 3.)
_BUILD_ROOT = r"""
set -eu
root=$1; ws=$2; shift 2
job_path=$PATH
PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount --make-rprivate /
mount -t tmpfs -o mode=0755,nosuid,nodev forge-root "$root"
mkdir -p "$root/dev" "$root/tmp" "$root/proc" "$root/work" "$root/.old"
mount -t tmpfs -o mode=0755,nosuid forge-dev "$root/dev"
for node in null zero full random urandom tty; do
  touch "$root/dev/$node"; mount --bind "/dev/$node" "$root/dev/$node"
done
ln -s /proc/self/fd "$root/dev/fd"
for n in 0:stdin 1:stdout 2:stderr; do ln -s "/proc/self/fd/${n%%:*}" "$root/dev/${n#*:}"; done
mkdir "$root/dev/shm"; mount -t tmpfs -o mode=1777,nosuid,nodev forge-shm "$root/dev/shm"
mount -t tmpfs -o mode=1777,nosuid,nodev forge-tmp "$root/tmp"
while [ "$1" != -- ]; do
  path=$1; shift
  if [ -d "$path" ]; then mkdir -p "$root$path"; else mkdir -p "$(dirname "$root$path")"; touch "$root$path"; fi
  mount --rbind "$path" "$root$path"
  case "$path" in /dev/*) ;; *) mount -o remount,bind,ro,nosuid "$root$path" ;; esac
done
shift
for link in lib lib64 bin sbin; do [ -e "/usr/$link" ] && ln -s "usr/$link" "$root/$link"; done
mount --bind "$ws" "$root/work"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
cd "$root"
pivot_root . .old
umount -l /.old
rmdir /.old
mount -o remount,bind,ro /
cd /work
PATH=$job_path
set +e
exec 3<&0
"$@" <&3 3<&- &
exec 3<&- </dev/null
wait $!
exit $?
"""


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


def _drop_to(uid: int) -> list[str]:
    """Become the job's uid for good: no groups, no capabilities, no way back through setuid files."""
    return [
        "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
    ]  # fmt: skip


def launch_command(
    mode: Mode,
    *,
    uid: int | None,
    cgroup_procs: Sequence[str],
    rlimits: Sequence[str],
    workdir: Path,
    new_root: Path,
    read_only: Sequence[str],
    argv: Sequence[str],
) -> list[str]:
    """The whole chain for one command: root joins the cgroups, (unshare: builds the namespaces and
    the file tree), drops to `uid` (None: stay the caller), applies `rlimits`, (bwrap: enters it),
    marks ready and executes `argv`. Run it with the ready pipe's write end as standard input."""
    drop = _drop_to(uid) if uid is not None else []
    inner = ["/bin/sh", "-c", _MARK_READY, "forge-ready", *argv]
    if mode is Mode.BWRAP:
        chain = [*drop, *rlimits, *_bwrap_args(workdir, read_only), *inner]
    elif mode is Mode.UNSHARE:
        build = ["/bin/sh", "-c", _BUILD_ROOT, "forge-root", str(new_root), str(workdir), *SYSTEM_PATHS, *read_only]
        namespaces = ["unshare", "--net", "--ipc", "--uts", "--pid", "--fork", "--kill-child", "--mount"]
        chain = [*namespaces, "--", *build, "--", *drop, *rlimits, *inner]
    else:
        chain = [*drop, *rlimits, *inner]
    if cgroup_procs:
        chain = ["/bin/sh", "-c", _JOIN_CGROUPS, "forge-join", *cgroup_procs, "--", *chain]
    return chain


def _probe(mode: Mode) -> str | None:
    """Why `mode` cannot run here (None: it can), by running `true` under it as a job would."""
    if mode is Mode.BWRAP and shutil.which("bwrap") is None:
        return "bwrap is not installed"
    if mode is Mode.UNSHARE:
        if os.geteuid() != 0:
            return "the unshare mode builds its namespaces as root, and this worker is not root"
        missing = [tool for tool in ("unshare", "setpriv", "mount", "pivot_root") if shutil.which(tool) is None]
        if missing:
            return f"{', '.join(missing)} not installed (util-linux, mount)"
    with tempfile.TemporaryDirectory(prefix="forge-probe-") as scratch:
        workdir, new_root = Path(scratch, "ws"), Path(scratch, "root")
        workdir.mkdir()
        new_root.mkdir()
        read, write = os.pipe()
        try:
            command = launch_command(
                mode, uid=None, cgroup_procs=(), rlimits=(), workdir=workdir, new_root=new_root,
                read_only=(), argv=["true"],
            )  # fmt: skip
            env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
            done = subprocess.run(command, stdin=write, env=env, capture_output=True, check=False, timeout=60)
            os.close(write)
            write = -1
            ready = os.read(read, 16) == READY
        finally:
            os.close(read)
            if write >= 0:
                os.close(write)
    if done.returncode != 0 or not ready:
        return (done.stderr or done.stdout).decode(errors="replace").strip() or f"exit status {done.returncode}"
    return None


@functools.cache
def works(mode: Mode) -> bool:
    """Whether `mode` can isolate a command on this machine (probed once per process)."""
    reason = _probe(mode)
    if reason:
        log.info("sandbox mode %s unusable here: %s", mode, reason)
    return reason is None


def chosen() -> Mode:
    """The mode `FORGE_SANDBOX` asks for, checked; `auto` takes the strongest that works, never `none`."""
    asked = os.environ.get(SANDBOX_ENV, "auto")
    if asked == "auto":
        for mode in (Mode.BWRAP, Mode.UNSHARE):
            if works(mode):
                return mode
        raise SandboxUnavailable(
            f"neither bubblewrap nor unshare can isolate candidates here ({_probe(Mode.BWRAP)}; "
            f"{_probe(Mode.UNSHARE)}): install bubblewrap, or run as root with util-linux, or set "
            f"{SANDBOX_ENV}=none to run untrusted code without namespaces (each turn records isolation=none)"
        )
    try:
        mode = Mode(asked)
    except ValueError:
        raise SandboxUnavailable(f"{SANDBOX_ENV}={asked!r}: expected auto, bwrap, unshare or none") from None
    if mode is not Mode.NONE and not works(mode):
        raise SandboxUnavailable(f"{SANDBOX_ENV}={mode} but it cannot run here: {_probe(mode)}")
    return mode
