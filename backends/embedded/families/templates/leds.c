#include "stm32f407.h"
#include "task.h"

#define LED_BASE ${base}U
#define LED_MASK 0xFUL

void leds_init(void) {
    RCC->${enr} |= ${macro};
    ${port}->MODER &= ~(0xFFUL << (2U * LED_BASE));
    ${port}->MODER |= 0x55UL << (2U * LED_BASE);
    ${port}->OTYPER &= ~(LED_MASK << LED_BASE);
}

static uint32_t pattern(uint32_t n) {
    return ${expr};
}

void leds_step(uint32_t n) {
    uint32_t on = pattern(n);
    ${port}->BSRR = (on << LED_BASE) | ((~on & LED_MASK) << (LED_BASE + 16U));
}
