#include "stm32f407.h"
#include "task.h"

#define RING_SIZE ${ring}U
#define BAUD 115200U

static uint8_t ring[RING_SIZE];
static volatile uint32_t head;
static volatile uint32_t tail;

void uart_queue_init(void) {
    @SETUP@
    RCC->${tim_enr} |= ${tim_macro};
    ${usart}->BRR = (${pclk} + BAUD / 2U) / BAUD;
    ${usart}->CR1 = USART_CR1_UE | USART_CR1_TE;
    ${timer}->PSC = 15U;
    ${timer}->ARR = 99U;
    ${timer}->EGR = TIM_EGR_UG;
    ${timer}->SR = 0U;
    ${timer}->DIER = TIM_DIER_UIE;
    NVIC_SetPriority(${timer}_IRQn, 6U);
    NVIC_EnableIRQ(${timer}_IRQn);
    ${timer}->CR1 = TIM_CR1_CEN;
}

uint32_t uart_send(const uint8_t *data, uint32_t len) {
    uint32_t queued = 0U;
    while (queued < len && head - tail < RING_SIZE) {
        ring[head % RING_SIZE] = data[queued];
        head++;
        queued++;
    }
    return queued;
}

uint32_t uart_pending(void) {
    return head - tail;
}

void ${timer}_IRQHandler(void) {
    ${timer}->SR = ~TIM_SR_UIF;
    if (tail != head && (${usart}->SR & USART_SR_TXE) != 0U) {
        ${usart}->DR = ring[tail % RING_SIZE];
        tail++;
    }
}
