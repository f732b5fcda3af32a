#include "stm32f407.h"
#include "task.h"

#define BAUD ${baud}U

void uart_init(void) {
    @SETUP@
    ${usart}->BRR = (${pclk} + BAUD / 2U) / BAUD;
    ${usart}->CR2 = ${cr2};
    ${usart}->CR1 = ${cr1};
}

void uart_putc(char c) {
    while ((${usart}->SR & USART_SR_TXE) == 0U) {
    }
    ${usart}->DR = (uint8_t)c;
}

void uart_write(const char *s) {
    while (*s != '\0') {
        uart_putc(*s++);
    }
}
