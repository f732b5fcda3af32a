"""Compile, for the GPU target, the Triton kernels the interpreter runs: the CPU path's GPU compiler.

Interpreter mode and compilation cannot share a process (with `TRITON_INTERPRET=1`, Triton's own
library functions are interpreter objects), so the runner starts this module as a second process
without the variable (`StaticCompiler`) and sends it each launch's specialization as Triton's
launcher derives it (recorded by `interpret_check`). Each is compiled with Triton's own compiler
down to cubin for `cuda:ARCH`, which needs no GPU (ptxas ships with Triton). Then the launcher's own
checks: shared memory against the target's limit, and warps against the threads the kernel's
registers allow, raising Triton's `OutOfResources` with its usual message. Compile errors keep
Triton's words. Resource numbers: shared memory from Triton's metadata, registers and local memory
from `cuobjdump -res-usage` of the cubin (cuobjdump ships with Triton too).
"""

from __future__ import annotations

import json
import math
import os
import pickle
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REGISTERS_PER_SM = 65536  # every NVIDIA GPU since Kepler
MAX_THREADS_PER_BLOCK = 1024
RESULT = "static_result.json"
_RES_USAGE = re.compile(r"REG:(\d+) STACK:(\d+) SHARED:(\d+) LOCAL:(\d+)")


class StaticCompiler:
    """The runner's side: start the compiler process at the first launch (a candidate that launches
    no Triton kernel costs no second process), feed it specializations, collect its verdict."""

    def __init__(self, arch: int, max_shared: int) -> None:
        self.argv = [sys.executable, __file__, str(arch), str(max_shared)]
        self.process: subprocess.Popen | None = None
        self.sent = 0

    def send(self, spec: dict) -> None:
        if self.process is None:
            env = {name: value for name, value in os.environ.items() if name != "TRITON_INTERPRET"}
            self.process = subprocess.Popen(self.argv, stdin=subprocess.PIPE, env=env)
        try:
            pickle.dump(spec, self.process.stdin)
            self.process.stdin.flush()
            self.sent += 1
        except BrokenPipeError:
            pass  # the compiler already stopped at a failure; its result says which

    def finish(self) -> dict:
        """{"kernels": {name: usage}, "failure": {...} | absent, "skipped": reason | ""}."""
        if self.process is None:
            return {"kernels": {}, "skipped": ""}
        self.process.stdin.close()
        self.process.wait()
        if not Path(RESULT).exists():
            exit_code = self.process.returncode
            return {"kernels": {}, "skipped": f"the static compile ended without a result (exit {exit_code})"}
        return json.loads(Path(RESULT).read_text())


def resources(compiled) -> dict[str, float]:
    import triton

    usage = {
        "shared_bytes": float(compiled.metadata.shared),
        "threads": float(compiled.metadata.num_warps * 32),
        "max_threads": float(MAX_THREADS_PER_BLOCK),
    }
    cuobjdump = Path(triton.__file__).parent / "backends" / "nvidia" / "bin" / "cuobjdump"
    cubin = compiled.asm.get("cubin")
    if not cubin or not cuobjdump.exists():
        return usage
    with tempfile.NamedTemporaryFile(suffix=".cubin", dir=".") as handle:
        handle.write(cubin)
        handle.flush()
        done = subprocess.run([str(cuobjdump), "-res-usage", handle.name], capture_output=True, text=True, check=False)
    if found := _RES_USAGE.search(done.stdout):
        registers = int(found.group(1))
        usage["registers"], usage["local_bytes"] = float(registers), float(found.group(4))
        per_warp = math.ceil(registers * 32 / 256) * 256  # registers are allocated per warp, 256 at a time
        usage["max_threads"] = float(min(MAX_THREADS_PER_BLOCK, REGISTERS_PER_SM // max(per_warp, 1) * 32))
    return usage


def _jit_function(module, name: str):
    fn, depth = getattr(module, name, None), 0
    while fn is not None and not hasattr(fn, "device_caches") and hasattr(fn, "fn") and depth < 4:
        fn, depth = fn.fn, depth + 1  # Autotuner / Heuristics wrap the JITFunction
    return fn if hasattr(fn, "device_caches") else None


def compile_spec(candidate, spec: dict, arch: int, max_shared: int) -> dict[str, float] | None:
    """Compile one launch; its resource usage, or None when the kernel cannot be found."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource
    from triton.runtime.errors import OutOfResources

    fn = _jit_function(candidate, spec["kernel"])
    if fn is None:
        return None
    source = ASTSource(fn, spec["signature"], spec["constexprs"], spec["attrs"])
    usage = resources(triton.compile(source, target=GPUTarget("cuda", arch, 32), options=spec["options"]))
    if usage["shared_bytes"] > max_shared:
        raise OutOfResources(int(usage["shared_bytes"]), max_shared, "shared memory")
    if usage["threads"] > usage["max_threads"]:
        raise OutOfResources(int(usage["threads"]), int(usage["max_threads"]), "threads")
    return usage


def _check_shared_before_ptx(max_shared: int) -> None:
    """Fail a kernel over the shared-memory limit as soon as its shared memory is known (after LLVM IR),
    instead of after ptxas, which can take long on the huge tiles such a kernel has."""
    import triton
    from triton.runtime.errors import OutOfResources

    def hook(*args):
        if not args:  # asked for a cache key
            return "shared-memory-check", "0"
        stages = args[1]
        make_ptx = stages["ptx"]

        def ptx(src, metadata):
            if metadata["shared"] > max_shared:
                raise OutOfResources(metadata["shared"], max_shared, "shared memory")
            return make_ptx(src, metadata)

        stages["ptx"] = ptx

    triton.knobs.runtime.add_stages_inspection_hook = hook


def serve(arch: int, max_shared: int) -> None:
    """The compiler's side: compile every specialization read from stdin, write RESULT at the end."""
    from checks import load_module
    from failures import COMPILATION_ERROR, RESOURCE_EXCEEDED, classify
    from torch.utils import cpp_extension

    def no_build(*args: object, **kwargs: object) -> None:
        raise RuntimeError("CUDA extensions are not built by the static compile")

    cpp_extension.load_inline = no_build  # a kernel's compile must not wait for nvcc
    _check_shared_before_ptx(max_shared)

    result: dict = {"kernels": {}, "skipped": ""}
    candidate = None
    try:
        while True:
            try:
                spec = pickle.load(sys.stdin.buffer)
            except EOFError:
                break
            candidate = candidate or load_module("candidate", "candidate.py")
            usage = compile_spec(candidate, spec, arch, max_shared)
            if usage is None:
                result["skipped"] = f"`{spec['kernel']}` is not a module-level @triton.jit function of the candidate"
            else:
                result["kernels"][spec["kernel"]] = usage
    except BaseException as exc:  # noqa: BLE001 - classified; only the compiler's verdicts count as failures
        failure = classify(exc)
        if failure.outcome in (COMPILATION_ERROR, RESOURCE_EXCEEDED):
            result["failure"] = {"outcome": failure.outcome, "diagnostic": failure.diagnostic}
        else:
            result["skipped"] = f"{failure.outcome}: {failure.diagnostic[:500]}"
    Path(RESULT).write_text(json.dumps(result))


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
