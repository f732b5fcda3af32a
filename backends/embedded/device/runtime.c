/*
 * The test runtime: USART1 console (polled, 115200 8N1 from the 16 MHz HSI) and the exit path.
 *
 * Exit prints "@@exit <code>" and then asks the debugger to stop through Arm semihosting
 * (SYS_EXIT_EXTENDED, reason ADP_Stopped_ApplicationExit, subcode = exit status), which QEMU turns
 * into its own exit status. Built with -DNO_SEMIHOSTING (Renode, real boards without a debugger) it
 * parks the core instead: a BKPT without a debugger attached would itself fault.
 */
#include "runtime.h"

#include "stm32f407.h"

#define CONSOLE USART1
#define CONSOLE_BAUD 115200UL
#define SYS_EXIT_EXTENDED 0x20U
#define ADP_STOPPED_APPLICATION_EXIT 0x20026U

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
#ifndef NO_SEMIHOSTING
    uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    register uint32_t r0 __asm("r0") = SYS_EXIT_EXTENDED;
    register uint32_t *r1 __asm("r1") = block;
    __asm volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
#endif
    __disable_irq();
    for (;;) {
        __WFI();
    }
}
