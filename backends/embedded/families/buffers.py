"""State kept between calls: a bounded FIFO with an overflow policy, and an integrating debouncer.

Both are driven by scripted inputs from the harness (an operation list, a sampled input level);
the expected results come from the Python models here.
"""

from __future__ import annotations

import random

from backends.embedded.families._common import Probe, c_array, firmware, fnv1a, grid, main_c, render, stimulus
from backends.embedded.firmware import Family, Firmware, Harness

POP = 0xFFFF  # the harness's operation code for a pop; anything else is a value to push


def ring_model(capacity: int, policy: str, ops: list[int]) -> tuple[list[int], list[int]]:
    """Per operation: the return value, and (for pops that succeeded) the popped value, in order."""
    fifo: list[int] = []
    results, popped = [], []
    for op in ops:
        if op == POP:
            results.append(1 if fifo else 0)
            if fifo:
                popped.append(fifo.pop(0))
        elif len(fifo) < capacity:
            fifo.append(op)
            results.append(1)
        elif policy == "overwrite":
            fifo = [*fifo[1:], op]
            results.append(1)
        else:
            results.append(0)
    return results, popped


def _ops(capacity: int, rng: random.Random) -> list[int]:
    """Fill past capacity, drain past empty, a random mix, then fill again."""
    fill_up = [rng.randrange(60000) for _ in range(capacity + 3)]
    drain = [POP] * (capacity + 2)
    mixed = [POP if rng.random() < 0.45 else rng.randrange(60000) for _ in range(4 * capacity)]
    return fill_up + drain + mixed + fill_up[:capacity] + [POP] * 3


def build_ring(capacity: int, policy: str, seed: int = 0) -> Firmware:
    full = ("rb_push() on a full buffer stores nothing and returns 0" if policy == "reject" else
            "rb_push() on a full buffer discards the oldest element to make room and returns 1")  # fmt: skip
    spec = f"""
        Implement a FIFO of uint16_t with room for exactly {capacity} elements (task.h), in a static
        array of {capacity} elements with wrapping indices (no dynamic memory). rb_init() empties it.
        rb_push(v) appends v and returns 1 when there is room; {full}. rb_pop(&v) removes the oldest
        element into v and returns 1, or returns 0 when empty. rb_count() returns how many are held.
    """
    interface = f"""
        /* Bounded FIFO of {capacity} x uint16_t, {policy} when full. */
        #include <stdint.h>

        void rb_init(void);
        int rb_push(uint16_t value);
        int rb_pop(uint16_t *value);
        uint32_t rb_count(void);
    """
    when_full = ("if (count >= CAPACITY) {\n    return 0;\n}" if policy == "reject" else
                 "if (count >= CAPACITY) {\n    tail = advance(tail);\n    count--;\n}")  # fmt: skip
    reference = render("ring_buffer", {"WHEN_FULL": when_full}, capacity=capacity)
    ops = _ops(capacity, stimulus(seed, "ring_buffer", capacity, policy))
    results, popped = ring_model(capacity, policy, ops)
    checkpoints = {capacity + 3, 2 * capacity + 5, len(ops)}
    steps: list[str | Probe] = [
        "rb_init();", "uint32_t results = HASH_INIT;", "uint32_t values = HASH_INIT;",
        f"for (uint32_t i = 0U; i < {len(ops)}U; i++) {{",
        "    uint16_t v = 0U;",
        f"    int r = ops[i] == {POP}U ? rb_pop(&v) : rb_push(ops[i]);",
        "    results = hash_word(results, (uint32_t)r);",
        f"    if (ops[i] == {POP}U && r == 1) {{",
        "        values = hash_word(values, v);",
        "    }",
        "    counts[i + 1U] = rb_count();",
        "}",
        Probe("results_hash", "results", fnv1a(results)), Probe("popped_hash", "values", fnv1a(popped)),
    ]  # fmt: skip
    held = 0
    sizes = []
    for op, r in zip(ops, results, strict=True):
        held += (-1 if op == POP else (1 if held < capacity else 0)) if r else 0
        sizes.append(held)
    steps += [Probe(f"count_after_{i}", f"counts[{i}]", sizes[i - 1], signed=True) for i in sorted(checkpoints)]
    globals_ = c_array("uint16_t", "ops", ops) + f"static uint32_t counts[{len(ops) + 1}];\n"
    source, console = main_c(steps, globals_=globals_)
    return firmware("ring_buffer", {"capacity": capacity, "policy": policy}, spec, interface, reference,
                    Harness(source, console))  # fmt: skip


def debounce_model(threshold: int, active_low: bool, levels: list[int]) -> tuple[list[int], int]:
    counter = state = presses = 0
    states = []
    for level in levels:
        pressed = (level == 0) if active_low else (level == 1)
        counter = min(threshold, counter + 1) if pressed else max(0, counter - 1)
        if counter == threshold and not state:
            state, presses = 1, presses + 1
        elif counter == 0:
            state = 0
        states.append(state)
    return states, presses


def _levels(rng: random.Random, active_low: bool) -> list[int]:
    """Fourteen random presses and releases, each after a random burst of bounce."""
    levels: list[int] = []
    for _ in range(14):
        pressed = rng.random() < 0.5
        bounce = [rng.randrange(2) for _ in range(rng.randrange(0, 6))]
        levels += bounce + [int(pressed != active_low)] * rng.randrange(1, 12)
    return levels


def build_debounce(threshold: int, active_low: int, seed: int = 0) -> Firmware:
    level_text = "low (0)" if active_low else "high (1)"
    spec = f"""
        Debounce a push button sampled at a fixed rate (task.h), with an integrator: a counter
        between 0 and {threshold} goes up by one for every sample in which the input reads pressed
        (pressed = level {level_text}) and down by one otherwise, staying within its bounds. The
        debounced state becomes pressed when the counter reaches {threshold} and released when it
        reaches 0, and keeps its value in between. debounce_sample(level) takes one sample and
        returns the debounced state (1 pressed, 0 released); debounce_presses() counts the changes
        from released to pressed; debounce_reset() returns to released with the counter at 0.
    """
    interface = f"""
        /* Integrating debouncer: threshold {threshold}, active {"low" if active_low else "high"}. */
        #include <stdint.h>

        void debounce_reset(void);
        uint8_t debounce_sample(uint8_t level);
        uint32_t debounce_presses(void);
    """
    reference = render("debounce", threshold=threshold, pressed_level=0 if active_low else 1)
    levels = _levels(stimulus(seed, "debounce", threshold, active_low), bool(active_low))
    states, presses = debounce_model(threshold, bool(active_low), levels)
    steps: list[str | Probe] = [
        "debounce_reset();", "uint32_t h = HASH_INIT;",
        f"for (uint32_t i = 0U; i < {len(levels)}U; i++) {{",
        "    h = hash_word(h, debounce_sample(levels[i]));",
        "}",
        Probe("states_hash", "h", fnv1a(states)), Probe("presses", "debounce_presses()", presses, signed=True),
        "debounce_reset();", Probe("after_reset", f"debounce_sample({1 - active_low}U)", 0, signed=True),
    ]  # fmt: skip
    source, console = main_c(steps, globals_=c_array("uint8_t", "levels", levels))
    return firmware("debounce", {"threshold": threshold, "active_low": active_low}, spec, interface, reference,
                    Harness(source, console))  # fmt: skip


RING_BUFFER = Family("ring_buffer", grid(capacity=(8, 16, 50), policy=("reject", "overwrite")), build_ring)
DEBOUNCE = Family("debounce", grid(threshold=(3, 5, 8), active_low=(0, 1)), build_debounce)
