/*
 * The test runtime every firmware image links: a polled console on USART1 (the harness's channel;
 * tasks use the other USARTs), and the two ways a run ends -- firmware_exit() after the harness,
 * fault_report() from the fault vectors. Both print a sentinel line the backend reads
 * ("@@exit <code>" / "@@fault ...") and then stop the emulator by a system reset request.
 */
#ifndef RUNTIME_H
#define RUNTIME_H

#include <stdint.h>

#define EXIT_DONE 0
#define EXIT_FAULT 3

void console_init(void);
void console_putc(char c);
void console_puts(const char *s);
void console_hex(uint32_t value);     /* 0x%08x */
void console_dec(int32_t value);      /* signed decimal */
void console_kv(const char *key, int32_t value); /* "key=<dec>\n" */
void console_kx(const char *key, uint32_t value); /* "key=0x%08x\n" */
uint32_t hash_word(uint32_t hash, uint32_t value); /* FNV-1a over value's 4 little-endian bytes */
void firmware_exit(int code) __attribute__((noreturn));

#define HASH_INIT 0x811C9DC5UL
#define SPIN_LIMIT 2000000UL /* bounded waits in harnesses */

#endif /* RUNTIME_H */
