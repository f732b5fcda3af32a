"""Which path runs GPU candidates on this machine: the GPU itself, or Triton's interpreter on the CPU.

Decided without importing torch: `torch.cuda.is_available()` costs an import of torch (seconds, a few
hundred MB) in every process that merely registers the domain, and it initialises CUDA in the Ray
driver, which never runs a kernel. The NVIDIA driver's own files answer the question for free: a
loaded driver lists its GPUs under /proc/driver/nvidia/gpus and creates /dev/nvidia0... The sandbox
then checks, inside, that CUDA really works (`torch.cuda.is_available()` there), and says so if not.
`FORGE_GPU=1` / `FORGE_GPU=0` force either path (e.g. a Ray driver on a CPU head node whose workers
have GPUs).
"""

from __future__ import annotations

import os
from pathlib import Path

GPU_ENV = "FORGE_GPU"
_DRIVER_GPUS = Path("/proc/driver/nvidia/gpus")
_DEV = Path("/dev")


def gpu_present() -> bool:
    """True when a GPU path should be used (see the module docstring)."""
    forced = os.environ.get(GPU_ENV)
    if forced in ("0", "1"):
        return forced == "1"
    if os.environ.get("CUDA_VISIBLE_DEVICES") in ("", "-1"):
        return False
    listed = _DRIVER_GPUS.is_dir() and any(_DRIVER_GPUS.iterdir())
    return listed or any(_DEV.glob("nvidia[0-9]*"))


def nvidia_devices() -> tuple[str, ...]:
    """The device nodes CUDA opens: /dev/nvidia0.., nvidiactl, nvidia-uvm(-tools), nvidia-caps/."""
    return tuple(sorted(str(p) for p in _DEV.glob("nvidia*")))


def worker_resources() -> dict[str, float]:
    """Ray resources per GPU worker: a whole GPU (timings are not shared), or one CPU on the CPU path."""
    return {"num_gpus": 1} if gpu_present() else {"num_cpus": 1}
