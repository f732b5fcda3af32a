"""NVIC: three software-raised events on otherwise unused vectors, served in priority order.

The Cortex-M NVIC is part of QEMU's core model (enable, pending, priority, preemption, tail
chaining), so a harness can pend events while interrupts are masked and read back the order the
handlers ran in: a wrong priority, a wrong IRQ number or a misnamed handler all show. Each run raises
its own random rounds (a subset of the events, in a random order), and the runtime counts how often
each vector was really taken.
"""

from __future__ import annotations

from itertools import permutations

from backends.embedded.device import irq_numbers
from backends.embedded.families._common import Params, Probe, fill, firmware, main_c, nvic_enabled, render, stimulus
from backends.embedded.firmware import Family, Firmware, Harness

IRQ_SETS: tuple[tuple[str, str, str], ...] = (
    ("TIM6_DAC", "TIM7", "EXTI1"),
    ("SPI1", "CAN1_RX0", "DMA2_Stream0"),
    ("I2C1_EV", "TIM8_CC", "SDIO"),
    ("FPU", "USART3", "EXTI2"),
)
PRIORITY_SETS: tuple[tuple[int, int, int], ...] = tuple(p for p in permutations((1, 7, 12)))[:3]


ROUNDS = 3


def build_nvic(vectors: int, priorities: int, seed: int = 0) -> Firmware:
    names, prios = IRQ_SETS[vectors], PRIORITY_SETS[priorities]
    numbers = [irq_numbers()[f"{n}_IRQn"] for n in names]
    table = ", ".join(f"event {i} on {n}_IRQn (IRQ {num}) at priority {p}"
                      for i, (n, num, p) in enumerate(zip(names, numbers, prios, strict=True)))  # fmt: skip
    spec = f"""
        Three events are served by otherwise unused interrupt vectors (task.h): {table}. events_init()
        sets the three priorities (4 implemented bits: a lower number is more urgent) and enables the
        three interrupts in the NVIC. events_raise(id) makes the interrupt of event id pending by
        software. Each handler calls event_log(id) with its own event's id (event_log is provided
        by the caller).
    """
    handlers = "\n".join(f"void {n}_IRQHandler(void);" for n in names)
    interface = fill(f"""
        /* Software events: {", ".join(f"{i} -> {n}_IRQn" for i, n in enumerate(names))}. */
        #include <stdint.h>

        void event_log(uint32_t id); /* provided by the caller */
        void events_init(void);
        void events_raise(uint32_t id);
        @HANDLERS@
    """, HANDLERS=handlers)
    cases = "\n".join(f"case {i}U:\n    NVIC_SetPendingIRQ({n}_IRQn);\n    break;" for i, n in enumerate(names))
    bodies = "\n\n".join(f"void {n}_IRQHandler(void) {{\n    event_log({i}U);\n}}" for i, n in enumerate(names))
    setup = "\n".join(f"NVIC_SetPriority({n}_IRQn, {p}U);\nNVIC_EnableIRQ({n}_IRQn);"
                      for n, p in zip(names, prios, strict=True))  # fmt: skip
    reference = render("nvic_events", {"SETUP": setup, "CASES": cases, "HANDLERS": bodies})
    rng = stimulus(seed, "nvic_priorities", vectors, priorities)
    rounds = [rng.sample(range(3), 3), *(rng.sample(range(3), rng.randrange(1, 4)) for _ in range(ROUNDS - 1))]
    order = [i for raised in rounds for i in sorted(raised, key=lambda i: (prios[i], numbers[i]))]
    steps: list[str | Probe] = ["events_init();"]
    for i, (name, number, prio) in enumerate(zip(names, numbers, prios, strict=True)):
        steps += [Probe(f"priority_{i}", f"NVIC->IP[{number}] >> 4", prio), nvic_enabled(name, number)]
    for raised in rounds:  # all of a round pend together, so the NVIC alone decides their order
        steps += ["__disable_irq();", *(f"events_raise({i}U);" for i in raised), "__enable_irq();", "__ISB();"]
    steps += [Probe("logged", "logged", len(order), signed=True)]
    steps += [Probe(f"ran_{k}", f"order[{k}]", i, signed=True) for k, i in enumerate(order)]
    steps += [Probe(f"taken_{i}", f"runtime_irq_entries({name}_IRQn)", order.count(i), signed=True)
              for i, name in enumerate(names)]  # fmt: skip
    globals_ = f"""
        static volatile uint32_t order[{3 * ROUNDS}];
        static volatile uint32_t logged;

        void event_log(uint32_t id) {{
            if (logged < {3 * ROUNDS}U) {{
                order[logged] = id;
            }}
            logged++;
        }}
    """
    source, console = main_c(steps, globals_=globals_)
    params: Params = {"vectors": "/".join(names), "priorities": "/".join(map(str, prios))}
    return firmware("nvic_priorities", params, spec, interface, reference, Harness(source, console))


NVIC_PRIORITIES = Family(
    "nvic_priorities",
    tuple({"vectors": v, "priorities": p} for v in range(len(IRQ_SETS)) for p in range(len(PRIORITY_SETS))),
    build_nvic,
)
