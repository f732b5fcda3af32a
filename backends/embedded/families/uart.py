"""USART transmit drivers: polled, and a ring-buffer queue drained from a timer interrupt.

QEMU 7.2's STM32F2xx USART model stores BRR/CR1/CR2 and sends every byte written to DR to its
serial backend, but raises its interrupt only for received bytes (TXE/TC interrupts came in QEMU
8.2), so the queued transmitter is paced by a TIM2..TIM5 update interrupt, which QEMU does model.
The USART model ignores TE/UE and the RCC clock gate, so the harness reads the configuration
registers back and checks the RCC/GPIO writes in QEMU's log: a wrong bit or a missing clock enable
still fails the task.
"""

from __future__ import annotations

import random
import string

from backends.embedded.device import HSI_HZ, bus_clock_macro, clock_gate, irq_numbers
from backends.embedded.families._common import (
    Params,
    Probe,
    af_pin,
    af_pin_checks,
    c_array,
    clock_checks,
    firmware,
    grid,
    main_c,
    nvic_enabled,
    render,
    stimulus,
)
from backends.embedded.firmware import Family, Firmware, Harness

# TX pin and alternate function of each USART on the STM32F407 (datasheet DS8626, Table 9).
TX_PINS: dict[str, tuple[str, int, int]] = {"USART2": ("GPIOA", 2, 7), "USART3": ("GPIOB", 10, 7),
                                            "USART6": ("GPIOC", 6, 8)}  # fmt: skip
FRAMINGS = {"8N1": "8 data bits, no parity, 1 stop bit", "8E1": "8 data bits, even parity, 1 stop bit",
            "8N2": "8 data bits, no parity, 2 stop bits"}  # fmt: skip
CR1 = {"UE": 1 << 13, "TE": 1 << 3, "M": 1 << 12, "PCE": 1 << 10, "TXEIE": 1 << 7}


def brr(baud: int) -> int:
    """USARTDIV in 12.4 fixed point with 16x oversampling, rounded: BRR = round(f_PCLK / baud)."""
    return (HSI_HZ + baud // 2) // baud


def _pin_setup(usart: str) -> tuple[str, str]:
    """C lines enabling the clocks and the TX pin, and a sentence saying which pin."""
    port, pin, af = TX_PINS[usart]
    gpio, uart = clock_gate(port), clock_gate(usart)
    lines = (f"RCC->{gpio.register.split('.')[1]} |= {gpio.macro};\n"
             f"RCC->{uart.register.split('.')[1]} |= {uart.macro};\n" + af_pin(port, pin, af))  # fmt: skip
    return lines, f"P{port[-1]}{pin} (AF{af})"


def _text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def build_uart_polled(usart: str, baud: int, framing: str, seed: int = 0) -> Firmware:
    port, pin, af = TX_PINS[usart]
    setup, pin_text = _pin_setup(usart)
    cr1 = CR1["UE"] | CR1["TE"] | (CR1["M"] | CR1["PCE"] if framing == "8E1" else 0)
    cr1_c = "USART_CR1_UE | USART_CR1_TE" + (" | USART_CR1_M | USART_CR1_PCE" if framing == "8E1" else "")
    cr2 = 2 << 12 if framing == "8N2" else 0
    cr2_c = "2UL << USART_CR2_STOP_Pos" if framing == "8N2" else "0U"
    spec = f"""
        Write a polled transmit driver for {usart} of the STM32F407 (task.h). uart_init() enables the
        clocks of {usart} and of its TX pin {pin_text}, puts that pin in alternate-function mode with
        AF{af}, sets {baud} baud from the 16 MHz APB clock (oversampling by 16, BRR rounded to the
        nearest integer), {FRAMINGS[framing]}, and turns the USART and its transmitter on with the
        receiver and all interrupts off. On the STM32F4 a frame with parity uses M=1 (9-bit word:
        8 data bits plus parity). uart_putc() waits for TXE and writes one byte; uart_write() sends
        a NUL-terminated string. Use the register names of stm32f407.h.
    """
    interface = f"""
        /* Polled {usart} transmitter: TX on {pin_text}, {baud} baud, {framing}. */
        #include <stdint.h>

        void uart_init(void);
        void uart_putc(char c);
        void uart_write(const char *s);
    """
    reference = render("uart_polled", {"SETUP": setup}, baud=baud, usart=usart, pclk=bus_clock_macro(usart),
                       cr2=cr2_c, cr1=cr1_c)
    token = _text(stimulus(seed, "uart_polled_tx", usart, baud, framing), 12)
    message = f"{usart} up at {baud} baud, {framing}: {token}\r\n"
    source, console = main_c(
        ["uart_init();",
         Probe("brr", f"{usart}->BRR", brr(baud)), Probe("cr1", f"{usart}->CR1", cr1),
         Probe("cr2", f"{usart}->CR2", cr2),
         f'uart_write("{message.encode("unicode_escape").decode()}");', "uart_putc('#');",
         Probe("sent", "1", 1)],
    )  # fmt: skip
    checks = clock_checks(port, usart) + af_pin_checks(port, pin, af, f"{usart}_TX")
    harness = Harness(source, console, uarts={usart.lower(): message + "#"}, checks=checks)
    params: Params = {"usart": usart, "baud": baud, "framing": framing}
    return firmware("uart_polled_tx", params, spec, interface, reference, harness)


def _queue_steps(usart: str, timer: str, ring: int, length: int) -> list[str | Probe]:
    """Queue the message with the timer interrupt masked (so the first call's count is exact), feed
    the rest as room appears, drain; queue five more bytes and see the timer's handler run while they
    drain (counted by the runtime's exception entry); then stop the timer and check its flag was
    acknowledged."""
    irq = f"{timer}_IRQn"
    return (
        ["uart_queue_init();",
         Probe("psc", f"{timer}->PSC", 15), Probe("arr", f"{timer}->ARR", 99),
         Probe("dier", f"{timer}->DIER", 1), nvic_enabled(irq, irq_numbers()[irq]),
         Probe("priority", f"NVIC->IP[{irq_numbers()[irq]}] >> 4", 6),
         "__disable_irq();",
         "uint32_t first = uart_send(message, sizeof message);",
         "__enable_irq();",
         Probe("first", "first", min(length, ring), signed=True),
         "uint32_t sent = first;",
         "for (uint32_t spins = 0U; sent < sizeof message && spins < SPIN_LIMIT; spins++) {",
         "    sent += uart_send(message + sent, sizeof message - sent);",
         "}",
         Probe("sent", "sent", length, signed=True),
         "for (uint32_t spins = 0U; uart_pending() != 0U && spins < SPIN_LIMIT; spins++) {",
         "}",
         Probe("pending", "uart_pending()", 0, signed=True),
         "__disable_irq();",
         "uint32_t again = uart_send(message, 5U);",
         "uint32_t queued = uart_pending();",
         f"uint32_t entries = runtime_irq_entries({irq});",
         "__enable_irq();",
         Probe("again", "again", 5, signed=True),
         Probe("queued", "queued", 5, signed=True),
         "for (uint32_t spins = 0U; uart_pending() != 0U && spins < SPIN_LIMIT; spins++) {",
         "}",
         Probe("drained_by_isr", f"runtime_irq_entries({irq}) - entries >= 5U", 1),
         "__disable_irq();",
         f"{timer}->CR1 = 0U;",
         "__enable_irq();",
         "for (volatile uint32_t settle = 0U; settle < 1000U; settle++) {",
         "}",
         Probe("uif_left", f"{timer}->SR & TIM_SR_UIF", 0),
         Probe("cr1", f"{usart}->CR1", CR1["UE"] | CR1["TE"])]
    )  # fmt: skip


def build_uart_queue(usart: str, timer: str, ring: int, seed: int = 0) -> Firmware:
    port, pin, af = TX_PINS[usart]
    setup, pin_text = _pin_setup(usart)
    tim = clock_gate(timer)
    irq = f"{timer}_IRQn"
    spec = f"""
        Write a queued transmitter for {usart} (task.h) drained by the {timer} update interrupt: a
        {ring}-byte ring buffer that can hold {ring} bytes. uart_queue_init() enables the clocks of
        {usart}, its TX pin {pin_text} (alternate function AF{af}) and {timer}; sets 115200 baud 8N1
        from the 16 MHz APB clock (BRR rounded) with the USART and its transmitter on (receiver and
        USART interrupts off); runs {timer} from 16 MHz with prescaler 15 (1 MHz counter clock) and
        auto-reload 99 (a 10 kHz update rate), generates an update event to load the prescaler,
        clears the status register, enables the update interrupt, enables {irq} in the NVIC with
        priority 6 and starts the counter. uart_send() copies as many bytes as fit into the ring
        (stopping when it is full) and returns how many it queued; uart_pending() returns the number
        of queued bytes. {timer}_IRQHandler() clears the update flag and, when a byte is queued and
        TXE is set, writes one byte to DR. The ring's indices are shared with the interrupt.
    """
    interface = f"""
        /* {usart} transmit queue ({ring} bytes) drained one byte per {timer} update (10 kHz). */
        #include <stdint.h>

        void uart_queue_init(void);
        uint32_t uart_send(const uint8_t *data, uint32_t len);
        uint32_t uart_pending(void);
        void {timer}_IRQHandler(void);
    """
    reference = render("uart_queue", {"SETUP": setup}, ring=ring, usart=usart, timer=timer,
                       pclk=bus_clock_macro(usart), tim_enr=tim.register.split(".")[1], tim_macro=tim.macro)
    text = _text(stimulus(seed, "uart_tx_queue", usart, timer, ring), 2 * ring + 7)
    message = f"{usart} via {timer}, ring {ring}: {text}\n".encode()
    source, console = main_c(_queue_steps(usart, timer, ring, len(message)),
                             globals_=c_array("uint8_t", "message", message))  # fmt: skip
    checks = clock_checks(port, usart, timer) + af_pin_checks(port, pin, af, f"{usart}_TX")
    harness = Harness(source, console, uarts={usart.lower(): message.decode() + message.decode()[:5]}, checks=checks)
    params: Params = {"usart": usart, "timer": timer, "ring": ring}
    return firmware("uart_tx_queue", params, spec, interface, reference, harness)


UART_POLLED = Family("uart_polled_tx", grid(usart=tuple(TX_PINS), baud=(9600, 38400, 115200),
                                            framing=tuple(FRAMINGS)), build_uart_polled)  # fmt: skip
UART_QUEUE = Family("uart_tx_queue", grid(usart=tuple(TX_PINS), timer=("TIM2", "TIM5"), ring=(16, 64)),
                    build_uart_queue)
