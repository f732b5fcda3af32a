#include "stm32f407.h"
#include "task.h"

#define BUTTON_PIN ${pin}U

static volatile uint32_t presses;

void button_init(void) {
    RCC->${gpio_enr} |= ${gpio_macro};
    RCC->${syscfg_enr} |= ${syscfg_macro};
    ${port}->MODER &= ~(3UL << (2U * BUTTON_PIN));
    ${port}->PUPDR &= ~(3UL << (2U * BUTTON_PIN));
    ${port}->PUPDR |= ${pull}UL << (2U * BUTTON_PIN);
    SYSCFG->EXTICR[BUTTON_PIN / 4U] &= ~(0xFUL << (4U * (BUTTON_PIN % 4U)));
    SYSCFG->EXTICR[BUTTON_PIN / 4U] |= ${port_index}UL << (4U * (BUTTON_PIN % 4U));
    @EDGES@
    EXTI->IMR |= 1UL << BUTTON_PIN;
    NVIC_EnableIRQ(${irq});
}

uint32_t button_presses(void) {
    return presses;
}

void ${handler}(void) {
    if ((EXTI->PR & (1UL << BUTTON_PIN)) != 0U) {
        EXTI->PR = 1UL << BUTTON_PIN;
        presses++;
    }
}
