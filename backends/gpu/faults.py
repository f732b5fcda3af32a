"""The faults GPU kernels really have, as one-line mutations of a correct Triton solution.

Each kind is a mistake from practice and shows up differently:
- `flat_indexing`: a per-row/per-column operand indexed by the flat element index (the seed paper's
  hinge loss: targets read per element instead of per row) — out-of-bounds reads, wrong values;
- `missing_mask`: a tl.load/tl.store without its bounds mask — reads or writes past the tensor on the
  last, partial block;
- `wrong_stride`: a launch passes the column stride where the row stride belongs — wrong rows;
- `block_too_large`: a matmul's K tile grown 16x — its pipelined tiles no longer fit shared memory
  (Triton's "out of resource: shared memory");
- `wrong_accumulation_dtype`: float16 where the kernel accumulates or computes in float32 — precision
  loss, or Triton refusing a loop-carried accumulator whose type changes;
- `shared_accumulator_race`: tl.atomic_add on a shared accumulator replaced by a plain load and store
  — programs overwrite each other's partial sums;
- `missing_constexpr`: a block size parameter lost its `tl.constexpr` annotation — Triton cannot
  build `tl.arange` from a runtime value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from backends.faults import Mutation, Mutator, regex_mutator

_FLAT = regex_mutator(
    "flat_indexing",
    r"(\w+_ptr\s*\+\s*)(rows|cols)\b(?!\s*[\[*])",
    lambda m: f"{m.group(1)}offs",
    "a per-row/per-column operand is indexed with the flat element index `offs`",
)


def _flat_indexing(lines: list[str]) -> Iterable[Mutation]:
    """Only in kernels that have a flat index to confuse it with."""
    if any(re.match(r"\s*offs\s*=", line) for line in lines):
        yield from (m for m in _FLAT(lines) if "tl.load(" in m.original)


_KEYWORD = re.compile(r"\s*\w+\s*=(?!=)")


def _arguments(line: str, open_paren: int) -> tuple[list[tuple[int, int]], int]:
    """Spans of the top-level arguments of the call whose '(' is at `open_paren`, and its ')' index."""
    spans, depth, start = [], 0, open_paren + 1
    for index in range(open_paren, len(line)):
        char = line[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                spans.append((start, index))
                return spans, index
        elif char == "," and depth == 1:
            spans.append((start, index))
            start = index + 1
    return [], -1


def _missing_mask(lines: list[str]) -> Iterable[Mutation]:
    for index, line in enumerate(lines):
        for call in re.finditer(r"\btl\.(load|store)\(", line):
            spans, _ = _arguments(line, call.end() - 1)
            dropped = [(s, e) for s, e in spans if re.match(r"\s*(mask|other)\s*=", line[s:e])]
            if not any(re.match(r"\s*mask\s*=", line[s:e]) for s, e in dropped):
                continue
            mutated = line
            for start, end in reversed(dropped):  # each dropped argument takes its leading comma along
                mutated = mutated[: start - 1] + mutated[end:]
            yield Mutation("missing_mask", index, line, mutated, f"a tl.{call.group(1)} lost its bounds mask")


def _race(lines: list[str]) -> Iterable[Mutation]:
    for index, line in enumerate(lines):
        call = re.search(r"\btl\.atomic_add\(", line)
        if call is None:
            continue
        spans, close = _arguments(line, call.end() - 1)
        positional = [line[s:e].strip() for s, e in spans if not _KEYWORD.match(line[s:e])]
        masks = [line[s:e].strip() for s, e in spans if re.match(r"\s*mask\s*=", line[s:e])]
        if len(positional) != 2:
            continue
        pointer, value = positional
        mask = f", {masks[0]}" if masks else ""
        plain = f"tl.store({pointer}, tl.load({pointer}{mask}) + {value}{mask})"
        mutated = line[: call.start()] + plain + line[close + 1 :]
        yield Mutation(
            "shared_accumulator_race", index, line, mutated, "an atomic accumulation became a plain load and store"
        )


_BLOCK_K = regex_mutator(
    "block_too_large",
    r"(\bBLOCK_K\s*=\s*)(\d+)\b",
    lambda m: f"{m.group(1)}{int(m.group(2)) * 16}",
    "the K tile is 16 times larger, beyond shared memory",
)


def _block_too_large(lines: list[str]) -> Iterable[Mutation]:
    """Only where tiles feed `tl.dot`, which stages them in shared memory (a GEMV's stay in registers)."""
    if any("tl.dot(" in line for line in lines):
        yield from _BLOCK_K(lines)


def _accumulation_dtype(lines: list[str]) -> Iterable[Mutation]:
    for index, line in enumerate(lines):
        if re.search(r"tl\.(zeros|full)\(", line) or ".to(tl.float32)" in line:
            mutated = re.sub(r"\btl\.float32\b", "tl.float16", line)
            if mutated != line:
                yield Mutation(
                    "wrong_accumulation_dtype", index, line, mutated, "an accumulator or computation is float16"
                )


MUTATORS: dict[str, Mutator] = {
    "flat_indexing": _flat_indexing,
    "missing_mask": _missing_mask,
    "wrong_stride": regex_mutator(
        "wrong_stride",
        r"\.stride\(([01])\)",
        lambda m: f".stride({1 - int(m.group(1))})",
        "a launch passes the other dimension's stride",
    ),
    "block_too_large": _block_too_large,
    "wrong_accumulation_dtype": _accumulation_dtype,
    "shared_accumulator_race": _race,
    "missing_constexpr": regex_mutator(
        "missing_constexpr",
        r"\b(BLOCK\w*)\s*:\s*tl\.constexpr",
        lambda m: m.group(1),
        "a block-size parameter lost its tl.constexpr annotation",
    ),
}
FAULT_KINDS: tuple[str, ...] = tuple(MUTATORS)
