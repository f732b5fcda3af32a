"""GPIO: LED patterns driven through BSRR, and a button line routed to an EXTI interrupt.

QEMU 7.2 does not model the STM32F4 GPIO ports (reads give 0, writes are only logged), so the LED
task is checked on QEMU's access log: the exact sequence of BSRR writes and the MODER fields. EXTI
and SYSCFG are modelled register files (QEMU raises EXTI lines only from modelled GPIO inputs, so
no edge can be injected); the button task is checked by reading the routing back and by pending
its interrupt in the NVIC, which must find a handler that ignores a line that is not pending.
"""

from __future__ import annotations

from backends.embedded.device import clock_gate, irq_numbers
from backends.embedded.families._common import (
    Params,
    Probe,
    c_array,
    clock_checks,
    firmware,
    grid,
    main_c,
    nvic_enabled,
    pin_field_check,
    render,
    stimulus,
)
from backends.embedded.firmware import Family, Firmware, Harness

LED_BANKS = {"GPIOD": 12, "GPIOE": 8, "GPIOB": 4}  # port -> lowest of four consecutive LED pins
PATTERNS = {
    "binary": ("the step number in binary", "n & LED_MASK", lambda n: n & 15),
    "gray": ("the 4-bit Gray code of the step number", "(n ^ (n >> 1)) & LED_MASK", lambda n: (n ^ (n >> 1)) & 15),
    "walk": ("a single lit LED that walks up one position per step, wrapping after the fourth",
             "1UL << (n % 4U)", lambda n: 1 << (n % 4)),
}  # fmt: skip
PULLS = {"rising": (0b10, "pull-down"), "falling": (0b01, "pull-up"), "both": (0b01, "pull-up")}


def build_leds(port: str, pattern: str, seed: int = 0) -> Firmware:
    base = LED_BANKS[port]
    text, expr, model = PATTERNS[pattern]
    gate = clock_gate(port)
    pins = f"P{port[-1]}{base}..P{port[-1]}{base + 3}"
    spec = f"""
        Drive four LEDs on {pins} (task.h). leds_init() enables the {port} clock and makes the four
        pins push-pull outputs (MODER 01, OTYPER 0), leaving the other pins' configuration alone.
        leds_step(n) shows {text} on the LEDs, bit 0 on P{port[-1]}{base}: with exactly one write to
        BSRR that sets the pins of lit LEDs and resets the pins of dark ones, touching no other pin.
    """
    interface = f"""
        /* Four LEDs on {pins}: step n shows {text}. */
        #include <stdint.h>

        void leds_init(void);
        void leds_step(uint32_t n);
    """
    reference = render("leds", base=base, enr=gate.register.split(".")[1], macro=gate.macro, port=port, expr=expr)
    rng = stimulus(seed, "gpio_leds", port, pattern)
    shown = [0, *(rng.randrange(64) for _ in range(11))]
    steps = ["leds_init();", f"for (uint32_t i = 0U; i < {len(shown)}U; i++) {{", "    leds_step(shown[i]);", "}",
             Probe("steps", str(len(shown)), len(shown), signed=True)]  # fmt: skip
    source, console = main_c(steps, globals_=c_array("uint32_t", "shown", shown))
    bus = "".join(f"{port}.BSRR=0x{(model(n) << base) | ((~model(n) & 15) << (base + 16)):08x}\n" for n in shown)
    checks = clock_checks(port) + (
        pin_field_check(port, "MODER", range(base, base + 4), 2, 0b01, f"{pins} must be general-purpose outputs"),
    )
    harness = Harness(source, console, watch=(f"{port}.BSRR",), bus=bus, checks=checks)
    return firmware("gpio_leds", {"port": port, "pattern": pattern}, spec, interface, reference, harness)


def exti_irq(pin: int) -> str:
    """EXTI lines 0..4 have their own vectors; 5..9 and 10..15 share one each (RM0090 Table 61)."""
    return f"EXTI{pin}_IRQn" if pin <= 4 else ("EXTI9_5_IRQn" if pin <= 9 else "EXTI15_10_IRQn")


def build_exti(port: str, pin: int, edge: str, seed: int = 0) -> Firmware:
    irq = exti_irq(pin)
    handler = irq.removesuffix("_IRQn") + "_IRQHandler"
    pull, pull_text = PULLS[edge]
    port_index = "ABCDEFGHI".index(port[-1])
    gpio, syscfg = clock_gate(port), clock_gate("SYSCFG")
    rtsr, ftsr = edge in ("rising", "both"), edge in ("falling", "both")
    edge_c = [f"EXTI->{reg} |= 1UL << BUTTON_PIN;" for reg, on in (("RTSR", rtsr), ("FTSR", ftsr)) if on]
    spec = f"""
        Route a push button on P{port[-1]}{pin} to an interrupt (task.h). button_init() enables the
        clocks of {port} and SYSCFG, makes P{port[-1]}{pin} an input with the internal {pull_text},
        selects port {port[-1]} for EXTI line {pin} in SYSCFG_EXTICR, unmasks line {pin} and triggers
        it on the {edge} edge{"s" if edge == "both" else ""} only, and enables {irq} in the NVIC.
        {handler}() counts a press only when line {pin} is pending and then clears its pending bit
        (the vector may be shared, and may fire without line {pin} pending); button_presses()
        returns the count.
    """
    interface = f"""
        /* Button on P{port[-1]}{pin} -> EXTI line {pin} ({edge} edge) -> {irq}. */
        #include <stdint.h>

        void button_init(void);
        uint32_t button_presses(void);
        void {handler}(void);
    """
    reference = render(
        "exti_button", {"EDGES": "\n".join(edge_c)}, pin=pin, port=port, pull=pull, port_index=port_index, irq=irq,
        handler=handler, gpio_enr=gpio.register.split(".")[1], gpio_macro=gpio.macro,
        syscfg_enr=syscfg.register.split(".")[1], syscfg_macro=syscfg.macro,
    )
    bit = 1 << pin
    spurious = stimulus(seed, "exti_button", port, pin, edge).randrange(1, 5)
    source, console = main_c(
        ["button_init();",
         Probe("exticr", f"SYSCFG->EXTICR[{pin // 4}]", port_index << (4 * (pin % 4))),
         Probe("imr", "EXTI->IMR", bit), Probe("rtsr", "EXTI->RTSR", bit if rtsr else 0),
         Probe("ftsr", "EXTI->FTSR", bit if ftsr else 0), nvic_enabled(irq, irq_numbers()[irq]),
         f"for (uint32_t i = 0U; i < {spurious}U; i++) {{", f"    NVIC_SetPendingIRQ({irq});", "    __DSB();",
         "    __ISB();", "}",
         Probe("vector_entries", f"runtime_irq_entries({irq})", spurious, signed=True),
         Probe("presses_without_pending_line", "button_presses()", 0, signed=True)],
    )  # fmt: skip
    checks = clock_checks(port, "SYSCFG") + (
        pin_field_check(port, "MODER", [pin], 2, 0b00, f"P{port[-1]}{pin} must be an input"),
        pin_field_check(port, "PUPDR", [pin], 2, pull, f"P{port[-1]}{pin} needs its {pull_text}"),
    )
    params: Params = {"port": port, "pin": pin, "edge": edge}
    return firmware("exti_button", params, spec, interface, reference, Harness(source, console, checks=checks))


LEDS = Family("gpio_leds", grid(port=tuple(LED_BANKS), pattern=tuple(PATTERNS)), build_leds)
EXTI_BUTTON = Family("exti_button", grid(port=("GPIOA", "GPIOE"), pin=(0, 4, 7, 13), edge=tuple(PULLS)), build_exti)
