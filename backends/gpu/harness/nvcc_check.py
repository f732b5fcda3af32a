"""CUDA candidates on a machine without a GPU: compile with nvcc, run nothing.

`torch.utils.cpp_extension.load_inline` with `cuda_sources` needs a CUDA build of PyTorch. On the
CPU path it is replaced, before the candidate is imported, by a compile check: the CUDA sources,
with the same prelude `load_inline` adds, go through nvcc with PyTorch's include paths and its
NVCC flags, for the target architecture. nvcc's errors become a `CudaBuildError` (a compilation
error, in nvcc's words); a clean compile still cannot be run here, which `CudaNeedsGpu` says (the
candidate's RUNTIME_ERROR, with nvcc's verdict in its words: an outcome the candidate can choose
is never an infrastructure failure). Extensions without CUDA sources build as usual.
"""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
from pathlib import Path

# load_inline prepends these to the CUDA sources (torch/utils/cpp_extension.py).
CUDA_PRELUDE = ("#include <torch/types.h>", "#include <cuda.h>", "#include <cuda_runtime.h>")
CXX_STANDARD = "-std=c++20"  # what torch 2.13's cpp_extension passes to nvcc
NVCC_TIMEOUT_S = 600


class CudaBuildError(Exception):
    """nvcc rejected the candidate's CUDA sources."""


class CudaNeedsGpu(Exception):
    """The CUDA sources compiled, but there is no GPU to run them on."""


def find_nvcc() -> str | None:
    home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH") or "/usr/local/cuda"
    candidate = Path(home, "bin", "nvcc")
    return shutil.which("nvcc") or (str(candidate) if candidate.exists() else None)


def compile_check(name: str, cuda_sources: str | list[str], extra_cuda_cflags: list[str] | None, arch: int) -> None:
    """Compile `cuda_sources` to an object file; always raises (CudaBuildError or CudaNeedsGpu)."""
    from torch.utils import cpp_extension

    nvcc = find_nvcc()
    if nvcc is None:
        raise CudaNeedsGpu("no GPU and no nvcc here: the CUDA sources can be neither run nor compile-checked")
    sources = [cuda_sources] if isinstance(cuda_sources, str) else list(cuda_sources)
    build = Path(os.environ.get("TORCH_EXTENSIONS_DIR", "torch_extensions"), name).resolve()
    build.mkdir(parents=True, exist_ok=True)
    (build / "cuda.cu").write_text("\n".join([*CUDA_PRELUDE, *sources]) + "\n")
    argv = [nvcc, *(f"-I{path}" for path in cpp_extension.include_paths()), *cpp_extension.COMMON_NVCC_FLAGS]
    argv += [f"-DTORCH_EXTENSION_NAME={name}", "-DTORCH_API_INCLUDE_EXTENSION_H", CXX_STANDARD, "--compiler-options",
             "-fPIC", f"-gencode=arch=compute_{arch},code=sm_{arch}", *(extra_cuda_cflags or []),
             "-c", str(build / "cuda.cu"), "-o", str(build / "cuda.o")]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=NVCC_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise CudaBuildError(f"nvcc exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    raise CudaNeedsGpu(
        f"nvcc compiled the CUDA sources of extension `{name}` for sm_{arch} (compile check only); "
        "running them needs a GPU"
    )


def install(arch: int) -> None:
    """Route `load_inline` calls with CUDA sources to `compile_check`."""
    from torch.utils import cpp_extension

    original = cpp_extension.load_inline
    signature = inspect.signature(original)

    def load_inline(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        params = bound.arguments
        if not params.get("cuda_sources"):
            return original(*args, **kwargs)
        return compile_check(params["name"], params["cuda_sources"], params.get("extra_cuda_cflags"), arch)

    cpp_extension.load_inline = load_inline
