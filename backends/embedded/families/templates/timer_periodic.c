#include "stm32f407.h"
#include "task.h"

static volatile uint32_t events;

void timer_init(void) {
    RCC->${enr} |= ${macro};
    ${timer}->PSC = ${hsi} / ${counter_hz}U - 1U;
    ${timer}->ARR = ${counter_hz}U / ${rate_hz}U - 1U;
    ${timer}->EGR = TIM_EGR_UG;
    ${timer}->SR = 0U;
    ${timer}->DIER = TIM_DIER_UIE;
    NVIC_EnableIRQ(${timer}_IRQn);
    ${timer}->CR1 = TIM_CR1_CEN;
}

uint32_t timer_events(void) {
    return events;
}

void timer_wait(uint32_t n) {
    uint32_t start = events;
    while (events - start < n) {
    }
}

void ${timer}_IRQHandler(void) {
    if ((${timer}->SR & TIM_SR_UIF) != 0U) {
        ${timer}->SR = ~TIM_SR_UIF;
        events++;
    }
}
