/*
 * The test runtime: USART1 console (polled, 115200 8N1 from the 16 MHz HSI) and the exit path.
 *
 * The console is the harness's channel, but the candidate runs in the same image and can write
 * USART1 too, so its sentinels are authenticated with a key the worker draws for each run. The
 * emulator writes it into RAM at `_run_key` (the linker script keeps those 16 bytes out of the
 * image) before the core starts; console_init(), at reset and before any candidate code, copies it
 * and clears the original. The tag (words 0-1) marks a line as the runtime's, and every byte the
 * runtime sends is folded into a keyed FNV-1a-64 digest (seeded from words 2-3) that the exit line
 * reports. The worker recomputes the digest over the console it captured: a byte the runtime did
 * not send, or one it sent that did not arrive, makes them differ.
 *
 * Exit prints "@@exit <tag> <code> <digest>" with interrupts masked (no handler can split the line)
 * and then requests a system reset (SCB->AIRCR SYSRESETREQ), which QEMU run with -no-reboot turns
 * into its own exit: no semihosting, which would hand the firmware the host's files and shell.
 * Built with -DPARK_ON_EXIT (Renode, which would reboot the image) it parks the core instead.
 */
#include "runtime.h"

#include "stm32f407.h"

#define CONSOLE USART1
#define CONSOLE_BAUD 115200UL
#define AIRCR_VECTKEY (0x5FAUL << 16)
#define AIRCR_SYSRESETREQ (1UL << 2)
#define FNV64_OFFSET 0xCBF29CE484222325ULL
#define FNV64_PRIME 0x00000100000001B3ULL

extern volatile uint32_t _run_key[4]; /* this run's, little-endian: tag low, tag high, seed low, seed high */
static uint32_t run_key[4];
static uint64_t console_digest;

void console_init(void) {
    for (int i = 0; i < 4; i++) {
        run_key[i] = _run_key[i];
        _run_key[i] = 0U;
    }
    console_digest = FNV64_OFFSET ^ ((uint64_t)run_key[3] << 32 | run_key[2]);
    RCC->APB2ENR |= RCC_APB2ENR_USART1EN;
    CONSOLE->BRR = (PCLK2_HZ + CONSOLE_BAUD / 2U) / CONSOLE_BAUD;
    CONSOLE->CR1 = USART_CR1_UE | USART_CR1_TE;
}

void console_putc(char c) {
    while ((CONSOLE->SR & USART_SR_TXE) == 0U) {
    }
    CONSOLE->DR = (uint8_t)c;
    console_digest = (console_digest ^ (uint8_t)c) * FNV64_PRIME;
}

void console_puts(const char *s) {
    while (*s != '\0') {
        console_putc(*s++);
    }
}

static void console_digits(uint32_t value) {
    static const char digits[] = "0123456789abcdef";
    for (int shift = 28; shift >= 0; shift -= 4) {
        console_putc(digits[(value >> shift) & 0xFU]);
    }
}

void console_hex(uint32_t value) {
    console_puts("0x");
    console_digits(value);
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

void console_sentinel(const char *kind) {
    console_puts("@@");
    console_puts(kind);
    console_putc(' ');
    console_digits(run_key[1]);
    console_digits(run_key[0]);
}

uint32_t hash_word(uint32_t hash, uint32_t value) {
    for (int shift = 0; shift < 32; shift += 8) {
        hash = (hash ^ ((value >> shift) & 0xFFU)) * 0x01000193UL;
    }
    return hash;
}

void runtime_stop(void) {
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

void firmware_exit(int code) {
    __disable_irq();
    uint64_t digest = console_digest; /* of everything before this line */
    console_sentinel("exit");
    console_putc(' ');
    console_dec(code);
    console_putc(' ');
    console_digits((uint32_t)(digest >> 32));
    console_digits((uint32_t)digest);
    console_putc('\n');
    runtime_stop();
}
