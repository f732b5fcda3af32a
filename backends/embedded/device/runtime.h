/*
 * The test runtime every firmware image links: a polled console on USART1 (the harness's channel;
 * tasks use the other USARTs), the count of every exception entry (the harness's own evidence that
 * an interrupt handler ran), and the two ways a run ends -- firmware_exit() after the harness,
 * fault_report() from the fault vectors. Both print a sentinel line that carries this run's key
 * ("@@exit <tag> <code> <digest>" / "@@fault <tag> ...") and then stop the emulator by a system
 * reset request. The worker draws the key for each run and the emulator hands it to the runtime
 * in RAM, never through a file of the build (runtime.c); nothing the candidate prints carries it.
 */
#ifndef RUNTIME_H
#define RUNTIME_H

#include <stdint.h>

#define EXIT_DONE 0

void console_init(void);
void console_putc(char c);
void console_puts(const char *s);
void console_hex(uint32_t value);     /* 0x%08x */
void console_dec(int32_t value);      /* signed decimal */
void console_kv(const char *key, int32_t value); /* "key=<dec>\n" */
void console_kx(const char *key, uint32_t value); /* "key=0x%08x\n" */
void console_sentinel(const char *kind); /* "@@<kind> <tag>" */
uint32_t hash_word(uint32_t hash, uint32_t value); /* FNV-1a over value's 4 little-endian bytes */
uint32_t runtime_irq_entries(int32_t irqn); /* exception entries so far; irqn as IRQn_Type (-1: SysTick) */
void runtime_stop(void) __attribute__((noreturn));
void firmware_exit(int code) __attribute__((noreturn));

#define HASH_INIT 0x811C9DC5UL
#define SPIN_LIMIT 2000000UL /* bounded waits in harnesses */

#endif /* RUNTIME_H */
