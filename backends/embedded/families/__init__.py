"""Embedded seed task families, by name: each `Family` expands its parameter grid into firmware seeds."""

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
from backends.embedded.firmware import Family

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        UART_POLLED, UART_QUEUE, SYSTICK, TIMER_PERIODIC, PWM,
        LEDS, EXTI_BUTTON, NVIC_PRIORITIES, ADC_CONFIG,
        CRC, CHECKSUM, CODECS, PARSER,
        FIR, MOVING_AVERAGE, PID, RING_BUFFER, DEBOUNCE,
    )
}
