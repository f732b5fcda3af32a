"""The checks the runner applies to a candidate's outputs and kernels.

- `compare`: output against the reference, elementwise `|out - ref| <= atol + rtol * |ref|` in
  float64, with the maximum absolute and relative errors reported for every trial;
- `GuardedInputs`: each input tensor is copied into the middle of a larger buffer whose guard cells
  hold NaN (integers: the type's minimum). A kernel that reads past its input pulls NaN into its
  output, one that writes past it changes a guard: both are seen even where the GPU raises nothing
  (small overruns stay inside the allocator's pages). Off under compute-sanitizer, which must see
  the overrun as a real one;
- `load_module`: a workspace file imported as a named module;
- resource usage of what ran: Triton's compiled kernels (registers, spills, shared memory from the
  launcher's metadata) and CUDA extensions (`cuobjdump -res-usage` on the built library).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import torch

GUARD_CELLS = 1024  # per side; a multiple of 16 bytes for every dtype, so data stays aligned
_RES_USAGE = re.compile(r"REG:(\d+) STACK:(\d+) SHARED:(\d+) LOCAL:(\d+)")


def load_module(name: str, path: str) -> ModuleType:
    """Import a workspace file as module `name` (the candidate is always `candidate`)."""
    spec = importlib.util.spec_from_file_location(name, Path(path).resolve())
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def compare(out: object, ref: object, atol: float, rtol: float, label: str) -> tuple[dict[str, float], str | None]:
    """Errors of `out` against `ref` and, when they do not match, the harness's mismatch report."""
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    refs = list(ref) if isinstance(ref, (tuple, list)) else [ref]
    if len(outs) != len(refs):
        return {}, f"{label}: {len(outs)} outputs, the reference returns {len(refs)}"
    worst = {"max_abs_err": 0.0, "max_rel_err": 0.0}
    for index, (o, r) in enumerate(zip(outs, refs, strict=True)):
        name = f"{label}: output {index}" if len(outs) > 1 else label
        if not isinstance(o, torch.Tensor):
            return worst, f"{name} is a {type(o).__name__}, the reference returns a tensor"
        if o.shape != r.shape:
            return worst, f"{name} has shape {list(o.shape)}, the reference {list(r.shape)}"
        if o.dtype != r.dtype:
            return worst, f"{name} has dtype {o.dtype}, the reference {r.dtype}"
        errors, failure = _elementwise(o, r, atol, rtol, name)
        worst = {k: max(worst[k], errors[k]) for k in worst}
        if failure:
            return worst, failure
    return worst, None


def _elementwise(o: torch.Tensor, r: torch.Tensor, atol: float, rtol: float, name: str) -> tuple[dict, str | None]:
    o64, r64 = o.detach().to(r.device, torch.float64), r.detach().to(torch.float64)
    both_nan = torch.isnan(o64) & torch.isnan(r64)
    diff = (o64 - r64).abs()
    bad = ~(diff <= atol + rtol * r64.abs()) & ~both_nan
    magnitude = r64.abs()
    finite = diff[~both_nan].nan_to_num(nan=float("inf"))
    rel = (diff / magnitude).masked_fill(magnitude == 0, 0.0)[~both_nan].nan_to_num(nan=float("inf"))
    errors = {
        "max_abs_err": float(finite.max()) if finite.numel() else 0.0,
        "max_rel_err": float(rel.max()) if rel.numel() else 0.0,
    }
    count = int(bad.sum())
    if not count:
        return errors, None
    first = tuple(int(i) for i in bad.nonzero()[0])
    nan_note = ""
    if (new_nan := int((torch.isnan(o64) & ~torch.isnan(r64)).sum())) > 0:
        nan_note = f"; {new_nan} outputs are NaN where the reference is not (inputs sit between NaN guard cells)"
    return errors, (
        f"{name}: {count} of {o.numel()} elements differ beyond atol={atol:g} rtol={rtol:g}; "
        f"max abs error {errors['max_abs_err']:.4g}, max rel error {errors['max_rel_err']:.4g}; "
        f"first at index {first}: got {o64[first].item():.6g}, expected {r64[first].item():.6g}{nan_note}"
    )


def _poison(dtype: torch.dtype) -> float | int | None:
    if dtype.is_floating_point:
        return float("nan")
    if dtype == torch.bool:
        return None
    return torch.iinfo(dtype).min


class GuardedInputs:
    """Copies of the inputs that live between guard cells; `overwritten()` reports touched guards."""

    def __init__(self, inputs: list[object]) -> None:
        self.inputs: list[object] = []
        self._buffers: list[tuple[int, torch.Tensor, int, float | int]] = []
        for index, value in enumerate(inputs):
            poison = _poison(value.dtype) if isinstance(value, torch.Tensor) else None
            if poison is None or not value.is_contiguous():
                self.inputs.append(value)
                continue
            numel = value.numel()
            buffer = torch.full((numel + 2 * GUARD_CELLS,), poison, dtype=value.dtype, device=value.device)
            view = buffer[GUARD_CELLS : GUARD_CELLS + numel].view(value.shape)
            view.copy_(value)
            self.inputs.append(view)
            self._buffers.append((index, buffer, numel, poison))

    def overwritten(self) -> str | None:
        for index, buffer, numel, poison in self._buffers:
            for side, cells in (("before", buffer[:GUARD_CELLS]), ("after", buffer[GUARD_CELLS + numel :])):
                intact = torch.isnan(cells) if isinstance(poison, float) else cells == poison
                if (changed := int((~intact).sum())) > 0:
                    return (
                        f"input {index} (shape {list(self.inputs[index].shape)}): {changed} guard cells {side} it were "
                        "overwritten: the candidate wrote outside this tensor"
                    )
        return None


def _jit_functions(module: ModuleType) -> Iterator[object]:
    for value in list(vars(module).values()):
        fn, depth = value, 0
        while not hasattr(fn, "device_caches") and hasattr(fn, "fn") and depth < 4:
            fn, depth = fn.fn, depth + 1  # Autotuner / Heuristics wrap the JITFunction
        if hasattr(fn, "device_caches"):
            yield fn


def triton_resources(module: ModuleType) -> dict[str, float]:
    """Registers, spills and shared memory of every Triton kernel the candidate launched."""
    kernels = []
    for fn in _jit_functions(module):
        for entry in fn.device_caches.values():
            cache = entry[0] if isinstance(entry, tuple) else entry
            kernels += [k for k in cache.values() if getattr(k, "n_regs", None) is not None]
    if not kernels:
        return {}
    return {
        "kernels": float(len(kernels)),
        "kernel_registers": float(max(k.n_regs for k in kernels)),
        "kernel_spills": float(sum(k.n_spills for k in kernels)),
        "kernel_shared_bytes": float(max(k.metadata.shared for k in kernels)),
    }


def extension_resources(build_root: Path) -> dict[str, float]:
    """`cuobjdump -res-usage` over the CUDA extensions the candidate built with load_inline."""
    cuobjdump = shutil.which("cuobjdump")
    libraries = sorted(build_root.rglob("*.so")) if build_root.exists() else []
    if cuobjdump is None or not libraries:
        return {}
    found = []
    for library in libraries:
        done = subprocess.run([cuobjdump, "-res-usage", str(library)], capture_output=True, text=True, check=False)
        found += [tuple(int(g) for g in m.groups()) for m in _RES_USAGE.finditer(done.stdout)]
    if not found:
        return {}
    return {
        "kernels": float(len(found)),
        "kernel_registers": float(max(f[0] for f in found)),
        "kernel_shared_bytes": float(max(f[2] for f in found)),
        "kernel_local_bytes": float(max(f[3] for f in found)),
    }
