"""Each outcome class the embedded domain produces, from real arm-none-eabi-gcc and QEMU runs."""

from __future__ import annotations

import re

import pytest

from backends.domain import get_domain
from backends.embedded import bus, device
from backends.embedded.emulation import EMULATOR_ENV
from backends.embedded.firmware import BusCheck, Harness
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome


@pytest.fixture(autouse=True)
def _qemu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EMULATOR_ENV, "qemu")  # the assertions below read QEMU's access log


@pytest.fixture(scope="module")
def tasks() -> dict[str, Task]:
    seeds = get_domain("embedded").seed_tasks(None)
    pick = {
        "crc": {"model": "CRC-32/ISO-HDLC", "method": "table"},
        "uart_polled_tx": {"usart": "USART2", "baud": "115200", "framing": "8N1"},
        "timer_periodic_irq": {"timer": "TIM2", "rate_hz": "1000", "counter_hz": "10000"},
    }
    return {family: next(t for t in seeds if t.family == family and t.params == params)
            for family, params in pick.items()}  # fmt: skip


def run(task: Task, code: str, timeout_s: float = 20.0) -> ExecutionResult:
    return get_domain("embedded").execute(ExecutionRequest.for_code(task, code, timeout_s))


def line_of(code: str, text: str) -> int:
    return next(i for i, line in enumerate(code.splitlines(), 1) if text in line)


def test_golden_passes_with_size_and_time_metrics(tasks: dict[str, Task]) -> None:
    task = tasks["uart_polled_tx"]
    result = run(task, task.reference)
    assert result.outcome is Outcome.PASS, result.diagnostic
    assert 1000 < result.metrics["flash_bytes"] < 16384
    assert result.metrics["ram_bytes"] >= result.metrics["stack_reserved_bytes"] == 1024
    assert result.metrics["build_s"] > 0 and result.metrics["run_s"] > 0 and result.metrics["bus_checked"] == 1
    assert result.metrics["fresh_inputs"] == 1 and 0 <= result.metrics["input_seed"] < 2**32
    assert result.tool_versions["arm-none-eabi-gcc"].startswith("arm-none-eabi-gcc")
    assert result.tool_versions["qemu-system-arm"].startswith("QEMU emulator version")


def test_syntax_slip_is_compilation_error_at_its_line(tasks: dict[str, Task]) -> None:
    task = tasks["crc"]
    broken = task.reference.replace("uint32_t crc = INIT;", "uint32_t crc = INIT")
    result = run(task, broken)
    assert result.outcome is Outcome.COMPILATION_ERROR
    slip = line_of(broken, "uint32_t crc = INIT")
    # gcc reports a missing ';' where the next statement starts
    assert re.search(rf"solution\.c:({slip}|{slip + 1}):\d+: error: expected ',' or ';'", result.diagnostic)


def test_image_larger_than_sram_is_resource_exceeded(tasks: dict[str, Task]) -> None:
    task = tasks["crc"]
    hog = task.reference.replace("uint32_t crc = INIT;", "static volatile uint8_t log_buffer[160 * 1024];\n"
                                 "    log_buffer[len] = 1U;\n    uint32_t crc = INIT;")  # fmt: skip
    result = run(task, hog)
    assert result.outcome is Outcome.RESOURCE_EXCEEDED
    assert re.search(r"region `RAM' overflowed by \d+ bytes", result.diagnostic)


def test_lookup_table_on_the_stack_is_a_memory_fault(tasks: dict[str, Task]) -> None:
    task = tasks["crc"]
    result = run(task, task.reference.replace("static uint32_t table[256];", "uint32_t table[256];"))
    assert result.outcome is Outcome.MEMORY_FAULT
    assert "@@fault HardFault" in result.diagnostic and "stack overflow" in result.diagnostic
    assert re.search(r"solution\.c:\d+:\d+:crc_compute 10\d\d static", result.diagnostic)  # gcc -fstack-usage
    assert "Invalid write at addr 0x1FFF" in result.diagnostic  # QEMU's own bus-error line


def test_bad_pointer_faults_at_the_source_line(tasks: dict[str, Task]) -> None:
    task = tasks["crc"]
    bad = task.reference.replace("uint32_t crc = INIT;", "uint32_t crc = INIT ^ *(volatile uint32_t *)0x30000000U;")
    result = run(task, bad)
    assert result.outcome is Outcome.MEMORY_FAULT
    assert "bfar=0x30000000" in result.diagnostic
    assert f"pc crc_compute at solution.c:{line_of(bad, '0x30000000U')}" in result.diagnostic


def test_interrupt_without_handler_is_runtime_error(tasks: dict[str, Task]) -> None:
    task = tasks["timer_periodic_irq"]
    misnamed = task.reference.replace("void TIM2_IRQHandler(void) {", "void TIM2_IRQ_Handler(void) {")
    result = run(task, misnamed)
    assert result.outcome is Outcome.RUNTIME_ERROR
    assert "@@fault unhandled IRQ 28" in result.diagnostic


def test_hung_firmware_is_timeout(tasks: dict[str, Task]) -> None:
    task = tasks["timer_periodic_irq"]
    hung = task.reference.replace("static volatile uint32_t events;", "static uint32_t events;")
    result = run(task, hung)
    assert result.outcome is Outcome.TIMEOUT
    assert "firmware did not exit" in result.diagnostic and "counted_by_isr=0x00000001" in result.diagnostic


def test_wrong_baud_rate_is_test_failure_with_transcript_diff(tasks: dict[str, Task]) -> None:
    task = tasks["uart_polled_tx"]
    wrong = task.reference.replace("#define BAUD 115200U", "#define BAUD 96000U")
    result = run(task, wrong)
    assert result.outcome is Outcome.TEST_FAILURE
    assert "-brr=0x0000008b" in result.diagnostic and "+brr=0x000000a7" in result.diagnostic


def test_missing_clock_enable_is_caught_in_qemus_access_log(tasks: dict[str, Task]) -> None:
    task = tasks["uart_polled_tx"]
    unclocked = task.reference.replace("RCC->APB1ENR |= RCC_APB1ENR_USART2EN;", "")
    result = run(task, unclocked)
    assert result.outcome is Outcome.TEST_FAILURE  # the bytes still come out: QEMU does not gate clocks
    assert "RCC.APB1ENR: bits 0x00020000 should read 0x00020000" in result.diagnostic


def test_device_model_matches_rm0090() -> None:
    assert device.irq_numbers()["TIM2_IRQn"] == 28 and device.irq_numbers()["USART6_IRQn"] == 71
    assert device.irq_numbers()["EXTI15_10_IRQn"] == 40 and device.irq_numbers()["FPU_IRQn"] == 81
    assert device.register_offsets("RCC_TypeDef")[0x40] == "APB1ENR"
    assert device.register_offsets("GPIO_TypeDef")[0x24] == "AFR[1]"
    assert device.clock_gate("GPIOD") == device.ClockGate("GPIOD", "RCC.AHB1ENR", 3, "RCC_AHB1ENR_GPIODEN")
    assert device.sibling_bit("USART_CR1_TE") == "USART_CR1_IDLEIE"
    assert device.bus_clock_macro("USART6") == "PCLK2_HZ"


def test_access_log_parsing_widens_byte_writes() -> None:
    log = ("GPIOD: unimplemented device write (size 4, offset 0x018, value 0x00001000)\n"
           "GPIOD: unimplemented device write (size 1, offset 0x01a, value 0x10)\n"
           "RCC: unimplemented device read  (size 4, offset 0x030)\n")  # fmt: skip
    found = bus.writes(log)
    assert [w.line() for w in found] == ["GPIOD.BSRR=0x00001000", "GPIOD.BSRR=0x00100000"]
    check = BusCheck("GPIOD.BSRR", 0x00101000, 0x00101000, "both writes")
    assert not bus.failed_checks(found, [check])


def test_harness_round_trips_through_json(tasks: dict[str, Task]) -> None:
    harness = Harness.from_json(tasks["uart_polled_tx"].harness)
    assert Harness.from_json(harness.to_json()) == harness
    assert harness.uarts["usart2"].endswith("#") and harness.checks
