#include "stm32f407.h"
#include "task.h"

#define ADC_CHANNEL ${channel}U
#define FULL_SCALE ${full}U
#define VREF_MV ${vref}U

void adc_init(void) {
    RCC->${gpio_enr} |= ${gpio_macro};
    RCC->${adc_enr} |= ${adc_macro};
    ${port}->MODER |= GPIO_MODER_ANALOG << (2U * ${pin}U);
    ADC1->CR1 = ${res_code}UL << ADC_CR1_RES_Pos;
    ADC1->${smpr} = ${smp_code}UL << (3U * (ADC_CHANNEL % 10U));
    ADC1->SQR1 = 0U << ADC_SQR1_L_Pos;
    ADC1->SQR3 = ADC_CHANNEL;
    ADC1->CR2 = ADC_CR2_ADON;
}

uint32_t adc_to_mv(uint32_t raw) {
    return (raw * VREF_MV + FULL_SCALE / 2U) / FULL_SCALE;
}
