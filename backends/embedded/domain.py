"""The embedded domain: STM32F407 firmware seed families, the gcc + emulator backend, firmware faults."""

from __future__ import annotations

from backends.domain import Domain, spread
from backends.embedded.execute import execute
from backends.embedded.families import FAMILIES
from backends.embedded.faults import MUTATORS
from backends.embedded.firmware import CANDIDATE_FILE, INTERFACE_FILE, Firmware
from backends.embedded.toolchain import CFLAGS
from schemas.artifacts import Task

NAME = "embedded"
SEED_STAGE = "seed_tasks"
ENVIRONMENT = {
    "mcu": "STM32F407VG: Cortex-M4F, 1 MiB flash at 0x08000000, 128 KiB SRAM at 0x20000000, 64 KiB CCM "
    "at 0x10000000; after reset the 16 MHz HSI clocks SYSCLK, AHB, APB1 and APB2",
    "device_header": "stm32f407.h (CMSIS-style: RCC->APB1ENR, RCC_APB1ENR_USART2EN, USART2->SR, USART_SR_TXE, "
    "TIM2->DIER, TIM_DIER_UIE, NVIC_EnableIRQ(TIM2_IRQn), SysTick->LOAD, ...)",
    "toolchain": f"arm-none-eabi-gcc {' '.join(CFLAGS)}, linked with startup.c, runtime.c and stm32f407.ld",
    "stack": "1 KiB main stack at the bottom of SRAM (an overflow faults)",
    "console": "USART1 belongs to the test harness; do not use it",
    "harness": "the vector table, Reset_Handler, main and the runtime (console_*, firmware_exit, hash_word, "
    "runtime_irq_entries) belong to the test harness: solution.c may not define a vector table (.isr_vector) "
    "nor use or redefine their symbols; every run feeds fresh inputs, and interrupt-driven counts are checked "
    "against the interrupts really taken",
    "emulator": "QEMU netduinoplus2 (STM32F405 model) or Renode stm32f4",
}


def task_from_firmware(seed: Firmware) -> Task:
    """A task whose candidate is `solution.c` implementing `task.h`; the harness travels as JSON."""
    params = {k: str(v) for k, v in seed.params.items()}
    return Task(
        stage=SEED_STAGE,
        task_id=Task.make_id(NAME, seed.family, params),
        domain=NAME,
        family=seed.family,
        params=params,
        instruction=seed.spec,
        interface=seed.interface,
        reference=seed.reference,
        harness=seed.harness.to_json(),
        environment={**ENVIRONMENT, "files": f"write {CANDIDATE_FILE}; it must #include \"{INTERFACE_FILE}\""},
    )


def seed_tasks(per_family: int | None = None) -> list[Task]:
    """Tasks from every family; `per_family` picks that many seeds spread evenly over its grid."""
    return [
        task_from_firmware(family.build(**params))
        for family in FAMILIES.values()
        for params in spread(family.grid, per_family)
    ]


DOMAIN = Domain(
    name=NAME,
    language="c",
    execute=execute,
    seed_tasks=seed_tasks,
    mutators=MUTATORS,
    default_per_family=2,  # 18 families x 2 = 36 tasks, ~130 verification runs at ~0.5 s each
)
