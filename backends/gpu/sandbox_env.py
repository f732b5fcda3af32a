"""What the sandboxed runner needs to see: a Python with torch and triton, and on a GPU, the GPU.

The sandbox runs commands as the job's own uid (no account, no groups), in its isolation mode (only
/usr, /etc, the workspace at /work and the paths given as `read_only` exist there). Three things
stand in the way of simply running `sys.executable` there, and this module works around each:

- the worker's interpreter may live where the job's uid cannot go (`backends.sandbox_python` picks
  one that it can run);
- the packages (a venv) may live under /work, which inside the sandbox is the workspace mount: a
  read-only bind there is hidden by it. So each site-packages directory is linked from inside the
  workspace (`Workspace.symlink`, before the workspace's first run: a link the candidate could have
  replaced is never bound) and the link is what is bound and put on PYTHONPATH: bubblewrap, or the
  unshare mode's mount, resolves the link on the host and mounts the real directory at the link's
  path (under the sandbox's private /tmp), and with no namespaces the link itself leads there;
- CUDA needs the /dev/nvidia* nodes, which bubblewrap's private /dev hides (`execute` adds them to
  the workspace's `read_only` paths, which the sandbox binds with --dev-bind since they lie under
  /dev), and the driver's variables (library path, visible devices: Ray sets CUDA_VISIBLE_DEVICES per
  actor), which the sandbox's scrubbed environment drops.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from backends.sandbox import INSIDE_WORKDIR, Workspace
from backends.sandbox_python import interpreter, prefix_binds, reachable, site_directories

# Variables the CUDA driver, PyTorch and Triton read; none of them is a secret.
CUDA_VARIABLES = (
    "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "CUDA_HOME", "CUDA_PATH",
    "TRITON_LIBCUDA_PATH", "TRITON_PTXAS_PATH", "NCCL_NVLS_ENABLE", "TORCH_SYMM_MEM_DISABLE_MULTICAST",
    "NVSHMEM_DISABLE_NVLS",
)  # fmt: skip
LINK_DIR = ".python-path"
NINJA = Path("ninja", "data", "bin")


@dataclass(frozen=True)
class SandboxPython:
    """The interpreter to run, what to bind read-only, and the environment to add."""

    executable: str
    read_only: tuple[str, ...]
    env: dict[str, str]


def cuda_home() -> Path | None:
    home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH") or "/usr/local/cuda"
    return Path(home) if Path(home).is_dir() else None


def prepare(ws: Workspace, gpu: bool) -> SandboxPython:
    """Link the package directories into `ws` (before it has run anything), and return how to run
    Python there."""
    executable, prefix = interpreter()
    links: dict[str, Path] = {}  # the link's path as the sandbox sees it -> the directory it leads to
    for index, directory in enumerate(site_directories()):
        if reachable(directory):
            links[_link(ws, str(index), directory)] = directory
    read_only = (*prefix_binds(prefix), *links)
    env = {"PYTHONPATH": os.pathsep.join(links), "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1"}
    path = ["/usr/bin", "/bin"]
    home = cuda_home()
    if home is not None:
        path.insert(0, str(home / "bin"))
        env["CUDA_HOME"] = str(home)
    # load_inline runs `ninja`: older pip wheels keep it in the package, newer ones in the venv's scripts
    ninja = [str(Path(link, NINJA)) for link, directory in links.items() if (directory / NINJA).is_dir()]
    scripts = _scripts_directory(ws)
    env["PATH"] = os.pathsep.join([*ninja, *path, *scripts])
    if gpu:
        env |= {name: os.environ[name] for name in CUDA_VARIABLES if name in os.environ}
    return SandboxPython(executable=executable, read_only=(*read_only, *scripts), env=env)


def _link(ws: Workspace, name: str, directory: Path) -> str:
    """A link to `directory` in the workspace's LINK_DIR; its path on the host, which the sandbox binds."""
    ws.symlink(f"{LINK_DIR}/{name}", str(directory))
    return str(ws.path / LINK_DIR / name)


def _scripts_directory(ws: Workspace) -> list[str]:
    """This environment's scripts directory as the sandbox sees it (bound, or linked where the workspace
    mount would hide it), or nothing where the sandbox user cannot reach it."""
    scripts = Path(sys.prefix, "bin")
    if not reachable(scripts):
        return []
    if scripts.is_relative_to(INSIDE_WORKDIR):
        return [_link(ws, "bin", scripts)]
    return [str(scripts)]
