"""Embedded seed task families, by name: each `Family` expands its parameter grid into firmware seeds.

Every family draws the inputs its harness feeds the candidate (data, operands, operation sequences,
delays) from a seed: seed 0 gives the stored task's harness, and the backend rebuilds the harness and
its expected transcript for a fresh seed on every run (`fresh_harness`), so no console, USART stream
or register-write sequence is the same from one run to the next.
"""

from __future__ import annotations

import functools

from backends.embedded.families.adc import ADC_CONFIG
from backends.embedded.families.buffers import DEBOUNCE, RING_BUFFER
from backends.embedded.families.codecs import CHECKSUM, CRC
from backends.embedded.families.dsp import FIR, MOVING_AVERAGE, PID
from backends.embedded.families.framing import CODECS
from backends.embedded.families.gpio import EXTI_BUTTON, LEDS
from backends.embedded.families.interrupts import NVIC_PRIORITIES
from backends.embedded.families.parser import PARSER
from backends.embedded.families.timers import PWM, SYSTICK, TIMER_PERIODIC
from backends.embedded.families.uart import UART_POLLED, UART_QUEUE
from backends.embedded.firmware import Family, Firmware, Harness

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        UART_POLLED, UART_QUEUE, SYSTICK, TIMER_PERIODIC, PWM,
        LEDS, EXTI_BUTTON, NVIC_PRIORITIES, ADC_CONFIG,
        CRC, CHECKSUM, CODECS, PARSER,
        FIR, MOVING_AVERAGE, PID, RING_BUFFER, DEBOUNCE,
    )
}  # fmt: skip
ParamsKey = tuple[tuple[str, str], ...]


def _params_key(params: dict[str, int | str] | dict[str, str]) -> ParamsKey:
    return tuple(sorted((name, str(value)) for name, value in params.items()))


@functools.cache
def _seeds_by_params(family: str) -> dict[ParamsKey, tuple[dict[str, int | str], Firmware]]:
    """A task's (string) params -> the grid entry that built it, and its default-seed firmware."""
    built = FAMILIES[family]
    return {_params_key(seed.params): (params, seed) for params in built.grid for seed in [built.build(**params)]}


def fresh_harness(family: str, params: dict[str, str], stored: Harness, seed: int) -> Harness | None:
    """The harness of seed task (`family`, `params`) for input seed `seed`; None when the task is not
    one of the families' own seeds (a synthesised or edited task, whose `stored` harness is not the
    family's default-seed harness): that one runs with its stored inputs."""
    if family not in FAMILIES:
        return None
    found = _seeds_by_params(family).get(_params_key(params))
    if found is None or found[1].harness != stored:
        return None
    return FAMILIES[family].build(**found[0], seed=seed).harness
