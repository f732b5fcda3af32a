#include "stm32f407.h"
#include "task.h"

#define TICK_HZ ${tick_hz}U

static volatile uint32_t tick_count;

void systick_init(void) {
    SysTick->LOAD = ${load};
    SysTick->VAL = 0U;
    NVIC_SetPriority(SysTick_IRQn, ${priority}U);
    SysTick->CTRL = ${ctrl};
}

uint32_t ticks(void) {
    return tick_count;
}

void delay_ticks(uint32_t n) {
    uint32_t start = tick_count;
    while (tick_count - start < n) {
    }
}

void SysTick_Handler(void) {
    tick_count++;
}
