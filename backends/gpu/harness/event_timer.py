"""GPU time of a callable, measured the way `triton.testing.do_bench` measures it, reporting the median.

Method (do_bench's): one call and a synchronize; five calls to estimate the time per call; enough
warm-up calls to fill `warmup_ms`, then enough timed trials to fill `rep_ms` (bounded). Before each
trial the L2 cache is flushed by zeroing a 256 MB buffer, and each trial is timed alone with a pair
of CUDA events, so the flush stays outside the measurement. The median of the trials is reported:
it ignores the occasional trial that a clock change or a context switch stretches.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import torch

L2_FLUSH_BYTES = 256 * 1024 * 1024  # do_bench's buffer; larger than any current GPU's L2


def median_ms(
    fn: Callable[[], object],
    warmup_ms: float = 25.0,
    rep_ms: float = 100.0,
    min_trials: int = 10,
    max_trials: int = 2000,
) -> tuple[float, int]:
    """(median milliseconds per call, number of timed trials)."""
    fn()
    torch.cuda.synchronize()
    flush = torch.empty(L2_FLUSH_BYTES // 4, dtype=torch.int32, device="cuda")
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(5):
        flush.zero_()
        fn()
    end.record()
    torch.cuda.synchronize()
    estimate = max(start.elapsed_time(end) / 5, 1e-4)
    for _ in range(max(1, int(warmup_ms / estimate))):
        fn()
    trials = min(max_trials, max(min_trials, int(rep_ms / estimate)))
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(trials)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(trials)]
    for begin, finish in zip(starts, ends, strict=True):
        flush.zero_()
        begin.record()
        fn()
        finish.record()
    torch.cuda.synchronize()
    return statistics.median(b.elapsed_time(f) for b, f in zip(starts, ends, strict=True)), trials
