#include "stm32f407.h"
#include "task.h"

#define PERIOD (${hsi}U / ${freq_hz}U)

void pwm_init(void) {
    RCC->${gpio_enr} |= ${gpio_macro};
    RCC->${tim_enr} |= ${tim_macro};
    @PIN@
    ${timer}->PSC = 0U;
    ${timer}->ARR = PERIOD - 1U;
    ${timer}->${ccmr} = (6UL << ${oc_shift}U) | (1UL << ${pe_shift}U);
    ${timer}->CCER = ${ccer};
    ${timer}->CR1 = TIM_CR1_ARPE;
    ${timer}->EGR = TIM_EGR_UG;
    ${timer}->CR1 |= TIM_CR1_CEN;
}

void pwm_set_duty(uint32_t permille) {
    if (permille > 1000U) {
        permille = 1000U;
    }
    ${timer}->CCR${channel} = (PERIOD * permille) / 1000U;
}
