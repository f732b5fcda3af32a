/*
 * The test runtime: USART1 console (polled, 115200 8N1 from the 16 MHz HSI) and the exit path.
 *
 * Exit prints "@@exit <code>" and then requests a system reset (SCB->AIRCR SYSRESETREQ), which QEMU
 * run with -no-reboot turns into its own exit: the emulator stops without any host call, so the
 * emulator needs no semihosting (which would hand the firmware the host's files and shell). Built
 * with -DPARK_ON_EXIT (Renode, which would reboot the image) it parks the core instead; the
 * "@@exit" line alone says how the run ended either way.
 */
#include "runtime.h"

#include "stm32f407.h"

#define CONSOLE USART1
#define CONSOLE_BAUD 115200UL
#define AIRCR_VECTKEY (0x5FAUL << 16)
#define AIRCR_SYSRESETREQ (1UL << 2)

void console_init(void) {
    RCC->APB2ENR |= RCC_APB2ENR_USART1EN;
    CONSOLE->BRR = (PCLK2_HZ + CONSOLE_BAUD / 2U) / CONSOLE_BAUD;
    CONSOLE->CR1 = USART_CR1_UE | USART_CR1_TE;
}

void console_putc(char c) {
    while ((CONSOLE->SR & USART_SR_TXE) == 0U) {
    }
    CONSOLE->DR = (uint8_t)c;
}

void console_puts(const char *s) {
    while (*s != '\0') {
        console_putc(*s++);
    }
}

void console_hex(uint32_t value) {
    static const char digits[] = "0123456789abcdef";
    console_puts("0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
        console_putc(digits[(value >> shift) & 0xFU]);
    }
}

void console_dec(int32_t value) {
    char buf[12];
    int n = 0;
    uint32_t magnitude = value < 0 ? 0U - (uint32_t)value : (uint32_t)value;
    do {
        buf[n++] = (char)('0' + magnitude % 10U);
        magnitude /= 10U;
    } while (magnitude != 0U);
    if (value < 0) {
        console_putc('-');
    }
    while (n > 0) {
        console_putc(buf[--n]);
    }
}

void console_kv(const char *key, int32_t value) {
    console_puts(key);
    console_putc('=');
    console_dec(value);
    console_putc('\n');
}

void console_kx(const char *key, uint32_t value) {
    console_puts(key);
    console_putc('=');
    console_hex(value);
    console_putc('\n');
}

uint32_t hash_word(uint32_t hash, uint32_t value) {
    for (int shift = 0; shift < 32; shift += 8) {
        hash = (hash ^ ((value >> shift) & 0xFFU)) * 0x01000193UL;
    }
    return hash;
}

void firmware_exit(int code) {
    console_puts("@@exit ");
    console_dec(code);
    console_putc('\n');
#ifndef PARK_ON_EXIT
    __DSB();
    SCB->AIRCR = AIRCR_VECTKEY | AIRCR_SYSRESETREQ;
    __DSB();
#endif
    __disable_irq();
    for (;;) {
        __WFI();
    }
}
