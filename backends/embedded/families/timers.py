"""Time bases: SysTick tick counter, periodic TIMx update interrupt, TIMx PWM output configuration.

QEMU models SysTick (in the Cortex-M core) and TIM2..TIM5 (STM32F2xx timer: PSC, ARR, CNT, DIER,
SR/UIF, CCMRx, CCER, CCRx, and an update interrupt per overflow), so these are checked by reading
the registers back and by counting interrupts. QEMU clocks the timers at 1 GHz and SysTick from a
168 MHz core clock instead of the 16 MHz of a reset STM32F407, so harnesses count events and never
measure time; under `-icount` the counts are deterministic.

A counter the task says an interrupt drives is checked against the runtime's own count of that
exception's entries, never against the candidate's word alone (`isr_driven`): over a window the
candidate's count advances exactly as often as the vector was taken, and it stands still while
interrupts are masked even though the interrupt became pending meanwhile. A counter bumped by the
API calls themselves, or computed from the hardware counter, fails both.
"""

from __future__ import annotations

from backends.embedded.device import HSI_HZ, clock_gate, irq_numbers
from backends.embedded.families._common import (
    Params,
    Probe,
    af_pin,
    af_pin_checks,
    clock_checks,
    firmware,
    grid,
    main_c,
    nvic_enabled,
    render,
    stimulus,
)
from backends.embedded.firmware import Family, Firmware, Harness

TIMERS = ("TIM2", "TIM3", "TIM4", "TIM5")
WIDE_TIMERS = ("TIM2", "TIM5")  # 32-bit counters; TIM3/TIM4 are 16-bit
# PWM channel pins (datasheet DS8626, Table 9): (port, pin, alternate function) per channel 1..4.
PWM_PINS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "TIM2": (("GPIOA", 0, 1), ("GPIOA", 1, 1), ("GPIOA", 2, 1), ("GPIOA", 3, 1)),
    "TIM3": (("GPIOA", 6, 2), ("GPIOA", 7, 2), ("GPIOB", 0, 2), ("GPIOB", 1, 2)),
    "TIM4": (("GPIOD", 12, 2), ("GPIOD", 13, 2), ("GPIOD", 14, 2), ("GPIOD", 15, 2)),
    "TIM5": (("GPIOA", 0, 2), ("GPIOA", 1, 2), ("GPIOA", 2, 2), ("GPIOA", 3, 2)),
}


def isr_driven(irq: str, count: str, pending: str) -> list[str | Probe]:
    """Steps after a window opened by `window_open(irq, count)`: close it with interrupts masked, wait
    (still masked) until `pending` reads true, and probe that `count` advanced exactly as often as
    the runtime saw `irq` taken, and not at all while the interrupt was held off."""
    return [
        "__disable_irq();",
        f"uint32_t entries_after = runtime_irq_entries({irq});",
        f"uint32_t count_after = {count};",
        f"for (uint32_t spins = 0U; !({pending}) && spins < SPIN_LIMIT; spins++) {{",
        "}",
        f"uint32_t pended = ({pending}) ? 1U : 0U;",
        f"uint32_t count_masked = {count};",
        "__enable_irq();",
        Probe("counted_by_isr", "count_after - count_before == entries_after - entries_before", 1),
        Probe("pended_while_masked", "pended", 1),
        Probe("still_while_masked", "count_masked == count_after", 1),
    ]


def window_open(irq: str, count: str) -> list[str]:
    """Read the runtime's entry count of `irq` and the candidate's `count` together, interrupts masked."""
    return ["__disable_irq();", f"uint32_t entries_before = runtime_irq_entries({irq});",
            f"uint32_t count_before = {count};", "__enable_irq();"]  # fmt: skip


def build_systick(tick_hz: int, source: str, priority: int, seed: int = 0) -> Firmware:
    clock = HSI_HZ if source == "cpu" else HSI_HZ // 8
    load = clock // tick_hz - 1
    load_c = "HSI_VALUE / TICK_HZ - 1U" if source == "cpu" else "HSI_VALUE / 8U / TICK_HZ - 1U"
    ctrl_c = ("SysTick_CTRL_CLKSOURCE | " if source == "cpu" else "") + "SysTick_CTRL_TICKINT | SysTick_CTRL_ENABLE"
    source_text = "the processor clock (HCLK, 16 MHz)" if source == "cpu" else "the external reference HCLK/8 (2 MHz)"
    spec = f"""
        Write a SysTick time base (task.h). systick_init() makes SysTick interrupt {tick_hz} times per
        second, counting {source_text}: reload value for exactly that rate, current value cleared,
        SysTick exception priority {priority}, then counter, interrupt and the chosen clock source
        enabled. SysTick_Handler() increments a tick counter shared with thread code; ticks() returns
        it; delay_ticks(n) busy-waits until n more ticks have elapsed.
    """
    interface = f"""
        /* SysTick time base: {tick_hz} Hz from {source_text}, priority {priority}. */
        #include <stdint.h>

        void systick_init(void);
        uint32_t ticks(void);
        void delay_ticks(uint32_t n);
        void SysTick_Handler(void);
    """
    reference = render("systick", tick_hz=tick_hz, load=load_c, priority=priority, ctrl=ctrl_c)
    source_bit = 4 if source == "cpu" else 0
    delay = stimulus(seed, "systick_timebase", tick_hz, source, priority).randrange(3, 9)
    source_c, console = main_c(
        ["systick_init();",
         Probe("load", "SysTick->LOAD", load), Probe("ctrl", "SysTick->CTRL & 7U", source_bit | 3),
         Probe("priority", "SCB->SHP[11] >> 4", priority),
         *window_open("SysTick_IRQn", "ticks()"), f"delay_ticks({delay}U);",
         *isr_driven("SysTick_IRQn", "ticks()", "(SCB->ICSR & SCB_ICSR_PENDSTSET) != 0U"),
         "uint32_t delayed = entries_after - entries_before;",
         Probe("delayed", f"delayed - {delay}U <= 1U ? {delay}U : delayed", delay),  # n or n + 1 ticks
         "uint32_t t1 = ticks();", "delay_ticks(1U);",
         Probe("advanced", "ticks() != t1", 1)],
    )  # fmt: skip
    params: Params = {"tick_hz": tick_hz, "source": source, "priority": priority}
    return firmware("systick_timebase", params, spec, interface, reference, Harness(source_c, console))


def build_timer_periodic(timer: str, rate_hz: int, counter_hz: int, seed: int = 0) -> Firmware:
    psc, arr = HSI_HZ // counter_hz - 1, counter_hz // rate_hz - 1
    irq = f"{timer}_IRQn"
    number = irq_numbers()[irq]
    gate = clock_gate(timer)
    spec = f"""
        Write a periodic interrupt on {timer} (task.h). timer_init() enables the {timer} clock, sets
        the prescaler for a {counter_hz} Hz counter clock from the 16 MHz timer clock and the
        auto-reload for {rate_hz} update events per second, generates an update event (to load the
        prescaler) and then clears the status register, enables the update interrupt, enables {irq}
        in the NVIC and starts the counter. {timer}_IRQHandler() acknowledges the update flag and
        counts the event; timer_events() returns the count (shared with the interrupt);
        timer_wait(n) busy-waits until n more events have been counted.
    """
    interface = f"""
        /* {timer} update interrupt at {rate_hz} Hz ({counter_hz} Hz counter clock from 16 MHz). */
        #include <stdint.h>

        void timer_init(void);
        uint32_t timer_events(void);
        void timer_wait(uint32_t n);
        void {timer}_IRQHandler(void);
    """
    reference = render("timer_periodic", enr=gate.register.split(".")[1], macro=gate.macro, timer=timer,
                       hsi=HSI_HZ, counter_hz=counter_hz, rate_hz=rate_hz)
    rng = stimulus(seed, "timer_periodic_irq", timer, rate_hz, counter_hz)
    events, wait = rng.randrange(2, 6), rng.randrange(1, 5)
    source, console = main_c(
        ["timer_init();",
         Probe("psc", f"{timer}->PSC", psc), Probe("arr", f"{timer}->ARR", arr),
         Probe("dier", f"{timer}->DIER", 1), Probe("cen", f"{timer}->CR1 & TIM_CR1_CEN", 1),
         nvic_enabled(irq, number),
         *window_open(irq, "timer_events()"),
         f"for (uint32_t spins = 0U; timer_events() - count_before < {events}U && spins < SPIN_LIMIT; spins++) {{",
         "}",
         *isr_driven(irq, "timer_events()", f"((NVIC->ISPR[{number >> 5}] >> {number & 31}U) & 1U) != 0U"),
         "uint32_t counted = count_after - count_before;",
         Probe("events", f"counted >= {events}U ? {events}U : counted", events),
         f"uint32_t waited_from = runtime_irq_entries({irq});", f"timer_wait({wait}U);",
         f"uint32_t waited = runtime_irq_entries({irq}) - waited_from;",
         Probe("waited", f"waited >= {wait}U ? {wait}U : waited", wait),
         "__disable_irq();", f"{timer}->CR1 = 0U;", "__enable_irq();",
         "for (volatile uint32_t settle = 0U; settle < 1000U; settle++) {", "}",
         Probe("uif_left", f"{timer}->SR & TIM_SR_UIF", 0)],
    )  # fmt: skip
    harness = Harness(source, console, checks=clock_checks(timer))
    params: Params = {"timer": timer, "rate_hz": rate_hz, "counter_hz": counter_hz}
    return firmware("timer_periodic_irq", params, spec, interface, reference, harness)


def build_pwm(timer: str, channel: int, freq_hz: int, polarity: str, seed: int = 0) -> Firmware:
    port, pin, af = PWM_PINS[timer][channel - 1]
    arr = HSI_HZ // freq_hz - 1
    ccmr = "CCMR1" if channel <= 2 else "CCMR2"
    shift = 8 * ((channel - 1) % 2)  # OCxM/OCxPE of channels 2 and 4 sit 8 bits up
    ccmr_value = (0b110 << (4 + shift)) | (1 << (3 + shift))
    ccer_value = (1 << 4 * (channel - 1)) | ((1 << (4 * (channel - 1) + 1)) if polarity == "low" else 0)
    ccer_c = f"1UL << {4 * (channel - 1)}U" + (f" | 1UL << {4 * (channel - 1) + 1}U" if polarity == "low" else "")
    gpio, tim = clock_gate(port), clock_gate(timer)
    spec = f"""
        Write a PWM output on {timer} channel {channel} (task.h). pwm_init() enables the clocks of
        {timer} and of {port}, puts P{port[-1]}{pin} in alternate-function mode with AF{af}, runs the
        counter at the full 16 MHz (prescaler 0) with the auto-reload for {freq_hz} Hz, selects PWM
        mode 1 with output-compare preload on channel {channel} (in {ccmr}), enables the channel
        output active {polarity} in CCER, enables auto-reload preload, generates an update event and
        starts the counter. pwm_set_duty(permille) sets the compare register to
        (ARR + 1) * permille / 1000 (integer division), treating values above 1000 as 1000.
    """
    interface = f"""
        /* PWM on {timer} CH{channel} (P{port[-1]}{pin}, AF{af}): {freq_hz} Hz, active {polarity}. */
        #include <stdint.h>

        void pwm_init(void);
        void pwm_set_duty(uint32_t permille);
    """
    reference = render(
        "pwm", {"PIN": af_pin(port, pin, af)}, hsi=HSI_HZ, freq_hz=freq_hz, timer=timer, ccmr=ccmr, ccer=ccer_c,
        gpio_enr=gpio.register.split(".")[1], gpio_macro=gpio.macro, tim_enr=tim.register.split(".")[1],
        tim_macro=tim.macro, oc_shift=4 + shift, pe_shift=3 + shift, channel=channel,
    )
    steps: list[str | Probe] = [
        "pwm_init();",
        Probe("psc", f"{timer}->PSC", 0), Probe("arr", f"{timer}->ARR", arr),
        Probe(ccmr.lower(), f"{timer}->{ccmr}", ccmr_value), Probe("ccer", f"{timer}->CCER", ccer_value),
        Probe("cr1", f"{timer}->CR1 & 0x81U", 0x81),
    ]
    rng = stimulus(seed, "pwm_output", timer, channel, freq_hz, polarity)
    for duty in (0, *sorted(rng.sample(range(1, 1000), 3)), 1000, 1000 + rng.randrange(1, 2000)):
        ccr = (arr + 1) * min(duty, 1000) // 1000
        steps += [f"pwm_set_duty({duty}U);", Probe(f"ccr_{duty}", f"{timer}->CCR{channel}", ccr)]
    source, console = main_c(steps)
    checks = clock_checks(port, timer) + af_pin_checks(port, pin, af, f"{timer}_CH{channel}")
    params: Params = {"timer": timer, "channel": channel, "freq_hz": freq_hz, "polarity": polarity}
    return firmware("pwm_output", params, spec, interface, reference, Harness(source, console, checks=checks))


SYSTICK = Family("systick_timebase", grid(tick_hz=(100, 1000, 8000), source=("cpu", "cpu/8"), priority=(0, 15)),
                 build_systick)  # fmt: skip
TIMER_PERIODIC = Family(
    "timer_periodic_irq",
    tuple(p for p in grid(timer=TIMERS, rate_hz=(1000, 100, 10), counter_hz=(10_000, 100_000))
          if p["timer"] in WIDE_TIMERS or int(p["counter_hz"]) // int(p["rate_hz"]) <= 65536),
    build_timer_periodic,
)
PWM = Family(
    "pwm_output",
    tuple({"timer": t, "channel": c, "freq_hz": f, "polarity": p}
          for t in TIMERS for c in (1, 2, 3, 4) for f, p in ((1000, "high"), (20000, "low"))),
    build_pwm,
)
