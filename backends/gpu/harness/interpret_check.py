"""What Triton's interpreter does not check, checked: memory bounds, races, and the GPU compiler.

On the CPU path (`TRITON_INTERPRET=1`) kernels run as numpy code, one program after another, with
raw host addresses. The interpreter itself checks nothing: an out-of-bounds load reads whatever is
there (or segfaults), programs never race, and nothing is compiled for a GPU. This module hooks the
interpreter to close those gaps:

- bounds: before every load, store and atomic, each active lane's address must lie inside one of the
  tensors passed to the launch (the span of its view, not just its storage); otherwise
  `MemoryCheckError` names the line, the program, the argument and how far outside it went;
- races: within one launch, an address stored by one program with a plain `tl.store` and stored or
  loaded by another program is a race (`RaceCheckError`): on a GPU the programs run concurrently;
- compile: the compiler sees each launch's specialization (argument types, divisibility, constexpr
  values, options), recorded here exactly as Triton's launcher derives it, and `static_compile.py`
  compiles it for the GPU target in a separate process (interpreter mode and compilation cannot share
  one: with `TRITON_INTERPRET=1` Triton's own library functions are interpreter objects).

Written against Triton 3.9's interpreter internals (the version the CPU path pins); when the
specialization cannot be derived, the static compile is skipped and `static_skipped` says why.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from triton.runtime import interpreter

CANDIDATE = "candidate.py"
MAX_RECORDED = 50_000_000  # addresses kept per launch for the race check (~800 MB); beyond, it is skipped


class MemoryCheckError(Exception):
    """An access outside every tensor argument of the launch."""


class RaceCheckError(Exception):
    """Two programs of one launch touch the same address, one of them with a plain store."""


@dataclass(frozen=True)
class Extent:
    """The bytes a tensor argument's view spans."""

    name: str
    start: int
    end: int
    itemsize: int
    description: str


@dataclass
class Launch:
    kernel: str
    extents: list[Extent]
    loads: list[tuple[np.ndarray, int, int]] = field(default_factory=list)
    stores: list[tuple[np.ndarray, int, int]] = field(default_factory=list)
    recorded: int = 0


def _extent(name: str, tensor: torch.Tensor) -> Extent:
    low = sum((size - 1) * stride for size, stride in zip(tensor.shape, tensor.stride(), strict=True) if stride < 0)
    high = sum((size - 1) * stride for size, stride in zip(tensor.shape, tensor.stride(), strict=True) if stride > 0)
    itemsize = tensor.element_size()
    start = tensor.data_ptr() + low * itemsize
    end = tensor.data_ptr() + (high + 1) * itemsize if tensor.numel() else start
    description = f"{str(tensor.dtype).removeprefix('torch.')}, shape {list(tensor.shape)}"
    return Extent(name, start, end, itemsize, description)


def _candidate_line() -> int | None:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.endswith(CANDIDATE):
            return frame.f_lineno
        frame = frame.f_back
    return None


def _program() -> tuple[int, int, int]:
    return tuple(interpreter.interpreter_builder.grid_idx)  # type: ignore[return-value]


def _program_index(program: tuple[int, int, int]) -> int:
    dims = interpreter.interpreter_builder.grid_dim
    return program[0] + dims[0] * (program[1] + dims[1] * program[2])


def _unravel(index: int) -> tuple[int, int, int]:
    dims = interpreter.interpreter_builder.grid_dim
    return (index % dims[0], (index // dims[0]) % dims[1], index // (dims[0] * dims[1]))


class InterpreterChecks:
    """Install once per process with `install()`; `specs` collects each launch's specialization."""

    def __init__(self, target_arch: int | None, on_spec: Callable[[dict], None] | None = None) -> None:
        self.target_arch = target_arch
        self.on_spec = on_spec
        self.launch: Launch | None = None
        self.specs: list[dict] = []
        self.static_skipped: str = ""

    # -- hooks -------------------------------------------------------------------------------
    def install(self) -> None:
        builder = interpreter.InterpreterBuilder
        checks = self
        original_run = interpreter.InterpretedFunction.run
        original_load, original_store = builder.create_masked_load, builder.create_masked_store
        original_rmw, original_cas = builder.create_atomic_rmw, builder.create_atomic_cas

        def run(fn_self, *args, grid, warmup, **kwargs):
            if warmup:
                return original_run(fn_self, *args, grid=grid, warmup=warmup, **kwargs)
            checks._record_spec(fn_self.fn, args, kwargs)
            checks._begin(fn_self.fn, args, kwargs)
            try:
                result = original_run(fn_self, *args, grid=grid, warmup=warmup, **kwargs)
                checks._check_races()
            finally:
                checks.launch = None
            return result

        def load(b, ptrs, mask, other, cache_policy, is_volatile):
            checks._access(ptrs, mask, "tl.load", record="loads")
            return original_load(b, ptrs, mask, other, cache_policy, is_volatile)

        def store(b, ptrs, value, mask, cache_policy):
            checks._access(ptrs, mask, "tl.store", record="stores")
            return original_store(b, ptrs, value, mask, cache_policy)

        def rmw(b, rmw_op, ptr, val, mask, sem, scope):
            checks._access(ptr, mask, "atomic", record=None)
            return original_rmw(b, rmw_op, ptr, val, mask, sem, scope)

        def cas(b, ptr, cmp, val, sem, scope):
            checks._access(ptr, None, "tl.atomic_cas", record=None)
            return original_cas(b, ptr, cmp, val, sem, scope)

        interpreter.InterpretedFunction.run = run
        builder.create_masked_load, builder.create_masked_store = load, store
        builder.create_atomic_rmw, builder.create_atomic_cas = rmw, cas

    def _begin(self, fn, args, kwargs) -> None:
        signature = inspect.signature(fn)
        bound = signature.bind_partial(*args, **{k: v for k, v in kwargs.items() if k in signature.parameters})
        extents = [_extent(name, value) for name, value in bound.arguments.items() if isinstance(value, torch.Tensor)]
        self.launch = Launch(kernel=fn.__name__, extents=extents)

    # -- bounds ------------------------------------------------------------------------------
    def _access(self, ptrs, mask, op: str, record: str | None) -> None:
        launch = self.launch
        if launch is None:
            return
        addresses = np.asarray(ptrs.data).astype(np.uint64).ravel()
        if mask is not None:
            active = np.broadcast_to(np.asarray(mask.data, dtype=bool), np.shape(ptrs.data)).ravel()
            addresses = addresses[active]
        if addresses.size == 0:
            return
        itemsize = max(1, ptrs.get_element_ty().primitive_bitwidth // 8)
        inside = np.zeros(addresses.shape, dtype=bool)
        for extent in launch.extents:
            inside |= (addresses >= extent.start) & (addresses + itemsize <= extent.end)
        if not inside.all():
            raise MemoryCheckError(self._bounds_message(op, addresses, inside, itemsize))
        if record and launch.recorded + addresses.size <= MAX_RECORDED:
            entry = (addresses, _program_index(_program()), _candidate_line() or 0)
            getattr(launch, record).append(entry)
            launch.recorded += addresses.size

    def _bounds_message(self, op: str, addresses: np.ndarray, inside: np.ndarray, itemsize: int) -> str:
        launch = self.launch
        assert launch is not None
        bad = addresses[~inside]
        first = int(bad[0])
        below = [e for e in launch.extents if e.start <= first]
        extent = max(below, key=lambda e: e.start) if below else min(launch.extents, key=lambda e: e.start)
        offset = (first - extent.start) // extent.itemsize
        elements = (extent.end - extent.start) // extent.itemsize
        line = _candidate_line()
        where = f"{CANDIDATE}:{line}: " if line else ""
        return (
            f"{where}{op} in kernel `{launch.kernel}` by program {_program()} touches memory outside every "
            f"tensor argument: {bad.size} of {addresses.size} active lanes; the first is element {offset} of "
            f"`{extent.name}` ({extent.description}, {elements} elements), {itemsize} bytes at {first:#x}\n"
            "[Triton interpreter memory check: on a GPU this access is out of bounds — an illegal address, "
            "or a silent read/write of neighbouring memory]"
        )

    # -- races -------------------------------------------------------------------------------
    def _check_races(self) -> None:
        launch = self.launch
        if launch is None or not launch.stores or launch.recorded >= MAX_RECORDED:
            return
        s_addr, s_prog, s_line = _flatten(launch.stores)
        order = np.lexsort((s_prog, s_addr))
        s_addr, s_prog, s_line = s_addr[order], s_prog[order], s_line[order]
        clash = (s_addr[1:] == s_addr[:-1]) & (s_prog[1:] != s_prog[:-1])
        if clash.any():
            i = int(np.argmax(clash)) + 1
            count = np.unique(s_addr[1:][clash]).size
            raise RaceCheckError(
                self._race_message(int(s_line[i]), int(s_addr[i]), int(s_prog[i - 1]), int(s_prog[i]), count, "store")
            )
        if not launch.loads:
            return
        owners, first = np.unique(s_addr, return_index=True)
        l_addr, l_prog, l_line = _flatten(launch.loads)
        pos = np.minimum(np.searchsorted(owners, l_addr), owners.size - 1)
        foreign = (owners[pos] == l_addr) & (s_prog[first][pos] != l_prog)
        if foreign.any():
            i = int(np.argmax(foreign))
            writer = int(s_prog[first][pos[i]])
            count = np.unique(l_addr[foreign]).size
            raise RaceCheckError(
                self._race_message(int(l_line[i]), int(l_addr[i]), writer, int(l_prog[i]), count, "load")
            )

    def _race_message(self, line: int, address: int, first: int, second: int, count: int, kind: str) -> str:
        launch = self.launch
        assert launch is not None
        extent = next((e for e in launch.extents if e.start <= address < e.end), None)
        target = f"element {(address - extent.start) // extent.itemsize} of `{extent.name}`" if extent else hex(address)
        where = f"{CANDIDATE}:{line}: " if line else ""
        if kind == "store":
            what = f"programs {_unravel(first)} and {_unravel(second)} both store to {target} with a plain tl.store"
        else:
            what = f"program {_unravel(second)} loads {target}, which program {_unravel(first)} stores, with no atomic"
        return (
            f"{where}data race in kernel `{launch.kernel}`: {what}; {count} addresses are shared this way between "
            "programs of one launch\n[Triton interpreter race check: the interpreter runs programs one after "
            "another, so the numbers can come out right here; on a GPU they run concurrently and updates are lost]"
        )

    # -- specializations for the static compile --------------------------------------------
    def _record_spec(self, fn, args, kwargs) -> None:
        if self.target_arch is None:
            return
        try:
            spec = self._specialization(fn, args, kwargs)
        except Exception as err:  # noqa: BLE001 - Triton internals moved: report, do not guess
            self.static_skipped = f"{type(err).__name__}: {err}"
            return
        if spec not in self.specs:
            self.specs.append(spec)
            if self.on_spec is not None:
                self.on_spec(spec)

    def _specialization(self, fn, args, kwargs) -> dict:
        """What Triton's launcher would compile for this call: signature, constexprs, attrs, options."""
        from triton.backends.compiler import GPUTarget
        from triton.compiler import make_backend
        from triton.runtime.jit import JITFunction, create_function_from_signature

        jit = JITFunction(fn)
        backend = make_backend(GPUTarget("cuda", self.target_arch, 32))
        binder = create_function_from_signature(jit.signature, jit.params, backend)
        kwargs = {"debug": False, "instrumentation_mode": "", "fpsan_homomorphic_casts": False, **kwargs}
        bound_args, specialization, options = binder(*args, **kwargs)
        options, signature, constexprs, attrs = jit._pack_args(backend, kwargs, bound_args, specialization, options)
        return {"kernel": fn.__name__, "module": fn.__module__, "signature": signature, "constexprs": constexprs,
                "attrs": attrs, "options": dict(options.__dict__)}  # fmt: skip


def _flatten(entries: list[tuple[np.ndarray, int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    addresses = np.concatenate([a for a, _, _ in entries])
    programs = np.concatenate([np.full(a.size, p, dtype=np.int64) for a, p, _ in entries])
    lines = np.concatenate([np.full(a.size, line, dtype=np.int64) for a, _, line in entries])
    return addresses, programs, lines
