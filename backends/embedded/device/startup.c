/*
 * STM32F407 startup: the vector table (16 core exceptions + the 82 interrupts of RM0090 Table 61),
 * the reset handler, the exception entry that counts every interrupt before its handler runs, and
 * the fault entry that reports instead of hanging.
 *
 * Every vector but reset and the faults points at Exception_Entry, which counts the entry in
 * exception_entries[] (read by the harness through runtime_irq_entries(): its own evidence that an
 * interrupt was taken, which no candidate function reports) and then jumps to the handler in
 * exception_handlers[] with the exception frame and EXC_RETURN untouched, as if vectored directly.
 * Every handler there is a weak alias of Default_Handler, so firmware overrides one by defining a
 * function of the same name; an interrupt that reaches Default_Handler was enabled without a
 * handler (a wrong IRQ number or a misspelt handler name) and is reported as such.
 */
#include <stdint.h>

#include "runtime.h"
#include "stm32f407.h"

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss, _fault_stack_top;
extern uint32_t _sstack;
int main(void);
void fault_report(uint32_t *frame, uint32_t exc_return, uint32_t ipsr);
void Reset_Handler(void);
void Fault_Entry(void);
void Exception_Entry(void);

void Reset_Handler(void) {
    SCB->CPACR |= (0xFUL << 20); /* CP10/CP11 full access: the FPU of the Cortex-M4F */
    __DSB();
    __ISB();
    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &_sbss; dst < &_ebss;) {
        *dst++ = 0;
    }
    console_init();
    firmware_exit(main());
}

/* Switch to the fault stack before touching memory: after a stack overflow the faulting SP points
   below SRAM, and anything pushed there would fault again (lockup). */
__attribute__((naked)) void Fault_Entry(void) {
    __asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "mov r1, lr\n"
        "mrs r2, ipsr\n"
        "ldr r3, =_fault_stack_top\n"
        "mov sp, r3\n"
        "b fault_report\n");
}

static int frame_readable(const uint32_t *frame) {
    uint32_t at = (uint32_t)frame;
    return at >= (uint32_t)&_sstack && at + 32U <= (uint32_t)&_fault_stack_top;
}

static const char *const exception_names[] = {
    "Thread", "Reset", "NMI", "HardFault", "MemManage", "BusFault", "UsageFault",
};

void fault_report(uint32_t *frame, uint32_t exc_return, uint32_t ipsr) {
    uint32_t vector = ipsr & 0x1FFU;
    console_putc('\n');
    console_sentinel("fault");
    console_putc(' ');
    if (vector <= 6U) {
        console_puts(exception_names[vector]);
    } else if (vector >= 16U) {
        console_puts("unhandled IRQ ");
        console_dec((int32_t)vector - 16);
    } else {
        console_puts("unhandled exception ");
        console_dec((int32_t)vector);
    }
    if (frame_readable(frame)) {
        console_puts(" pc=");
        console_hex(frame[6]);
        console_puts(" lr=");
        console_hex(frame[5]);
    } else {
        console_puts(" sp=");
        console_hex((uint32_t)frame);
        console_puts(" (stack frame outside SRAM: stack overflow)");
    }
    console_puts(" cfsr=");
    console_hex(SCB->CFSR);
    console_puts(" hfsr=");
    console_hex(SCB->HFSR);
    console_puts(" bfar=");
    console_hex(SCB->BFAR);
    console_puts(" exc_return=");
    console_hex(exc_return);
    console_putc('\n');
    runtime_stop();
}

void Default_Handler(void) __attribute__((alias("Fault_Entry")));
#define WEAK_HANDLER(name) void name(void) __attribute__((weak, alias("Default_Handler")))
WEAK_HANDLER(NMI_Handler);
WEAK_HANDLER(SVC_Handler);
WEAK_HANDLER(DebugMon_Handler);
WEAK_HANDLER(PendSV_Handler);
WEAK_HANDLER(SysTick_Handler);
WEAK_HANDLER(WWDG_IRQHandler);
WEAK_HANDLER(PVD_IRQHandler);
WEAK_HANDLER(TAMP_STAMP_IRQHandler);
WEAK_HANDLER(RTC_WKUP_IRQHandler);
WEAK_HANDLER(FLASH_IRQHandler);
WEAK_HANDLER(RCC_IRQHandler);
WEAK_HANDLER(EXTI0_IRQHandler);
WEAK_HANDLER(EXTI1_IRQHandler);
WEAK_HANDLER(EXTI2_IRQHandler);
WEAK_HANDLER(EXTI3_IRQHandler);
WEAK_HANDLER(EXTI4_IRQHandler);
WEAK_HANDLER(DMA1_Stream0_IRQHandler);
WEAK_HANDLER(DMA1_Stream1_IRQHandler);
WEAK_HANDLER(DMA1_Stream2_IRQHandler);
WEAK_HANDLER(DMA1_Stream3_IRQHandler);
WEAK_HANDLER(DMA1_Stream4_IRQHandler);
WEAK_HANDLER(DMA1_Stream5_IRQHandler);
WEAK_HANDLER(DMA1_Stream6_IRQHandler);
WEAK_HANDLER(ADC_IRQHandler);
WEAK_HANDLER(CAN1_TX_IRQHandler);
WEAK_HANDLER(CAN1_RX0_IRQHandler);
WEAK_HANDLER(CAN1_RX1_IRQHandler);
WEAK_HANDLER(CAN1_SCE_IRQHandler);
WEAK_HANDLER(EXTI9_5_IRQHandler);
WEAK_HANDLER(TIM1_BRK_TIM9_IRQHandler);
WEAK_HANDLER(TIM1_UP_TIM10_IRQHandler);
WEAK_HANDLER(TIM1_TRG_COM_TIM11_IRQHandler);
WEAK_HANDLER(TIM1_CC_IRQHandler);
WEAK_HANDLER(TIM2_IRQHandler);
WEAK_HANDLER(TIM3_IRQHandler);
WEAK_HANDLER(TIM4_IRQHandler);
WEAK_HANDLER(I2C1_EV_IRQHandler);
WEAK_HANDLER(I2C1_ER_IRQHandler);
WEAK_HANDLER(I2C2_EV_IRQHandler);
WEAK_HANDLER(I2C2_ER_IRQHandler);
WEAK_HANDLER(SPI1_IRQHandler);
WEAK_HANDLER(SPI2_IRQHandler);
WEAK_HANDLER(USART1_IRQHandler);
WEAK_HANDLER(USART2_IRQHandler);
WEAK_HANDLER(USART3_IRQHandler);
WEAK_HANDLER(EXTI15_10_IRQHandler);
WEAK_HANDLER(RTC_Alarm_IRQHandler);
WEAK_HANDLER(OTG_FS_WKUP_IRQHandler);
WEAK_HANDLER(TIM8_BRK_TIM12_IRQHandler);
WEAK_HANDLER(TIM8_UP_TIM13_IRQHandler);
WEAK_HANDLER(TIM8_TRG_COM_TIM14_IRQHandler);
WEAK_HANDLER(TIM8_CC_IRQHandler);
WEAK_HANDLER(DMA1_Stream7_IRQHandler);
WEAK_HANDLER(FSMC_IRQHandler);
WEAK_HANDLER(SDIO_IRQHandler);
WEAK_HANDLER(TIM5_IRQHandler);
WEAK_HANDLER(SPI3_IRQHandler);
WEAK_HANDLER(UART4_IRQHandler);
WEAK_HANDLER(UART5_IRQHandler);
WEAK_HANDLER(TIM6_DAC_IRQHandler);
WEAK_HANDLER(TIM7_IRQHandler);
WEAK_HANDLER(DMA2_Stream0_IRQHandler);
WEAK_HANDLER(DMA2_Stream1_IRQHandler);
WEAK_HANDLER(DMA2_Stream2_IRQHandler);
WEAK_HANDLER(DMA2_Stream3_IRQHandler);
WEAK_HANDLER(DMA2_Stream4_IRQHandler);
WEAK_HANDLER(ETH_IRQHandler);
WEAK_HANDLER(ETH_WKUP_IRQHandler);
WEAK_HANDLER(CAN2_TX_IRQHandler);
WEAK_HANDLER(CAN2_RX0_IRQHandler);
WEAK_HANDLER(CAN2_RX1_IRQHandler);
WEAK_HANDLER(CAN2_SCE_IRQHandler);
WEAK_HANDLER(OTG_FS_IRQHandler);
WEAK_HANDLER(DMA2_Stream5_IRQHandler);
WEAK_HANDLER(DMA2_Stream6_IRQHandler);
WEAK_HANDLER(DMA2_Stream7_IRQHandler);
WEAK_HANDLER(USART6_IRQHandler);
WEAK_HANDLER(I2C3_EV_IRQHandler);
WEAK_HANDLER(I2C3_ER_IRQHandler);
WEAK_HANDLER(OTG_HS_EP1_OUT_IRQHandler);
WEAK_HANDLER(OTG_HS_EP1_IN_IRQHandler);
WEAK_HANDLER(OTG_HS_WKUP_IRQHandler);
WEAK_HANDLER(OTG_HS_IRQHandler);
WEAK_HANDLER(DCMI_IRQHandler);
WEAK_HANDLER(CRYP_IRQHandler);
WEAK_HANDLER(HASH_RNG_IRQHandler);
WEAK_HANDLER(FPU_IRQHandler);

typedef void (*vector_t)(void);

/* Indexed by exception number (IPSR): 15 is SysTick, 16 + n is IRQ n. */
static uint32_t exception_entries[16 + 82] __attribute__((used));
static const vector_t exception_handlers[16 + 82] __attribute__((used)) = {
    0, 0, NMI_Handler, Fault_Entry, Fault_Entry, Fault_Entry, Fault_Entry, 0, 0, 0, 0, SVC_Handler,
    DebugMon_Handler, 0, PendSV_Handler, SysTick_Handler, WWDG_IRQHandler, PVD_IRQHandler,
    TAMP_STAMP_IRQHandler, RTC_WKUP_IRQHandler, FLASH_IRQHandler, RCC_IRQHandler, EXTI0_IRQHandler,
    EXTI1_IRQHandler, EXTI2_IRQHandler, EXTI3_IRQHandler, EXTI4_IRQHandler, DMA1_Stream0_IRQHandler,
    DMA1_Stream1_IRQHandler, DMA1_Stream2_IRQHandler, DMA1_Stream3_IRQHandler, DMA1_Stream4_IRQHandler,
    DMA1_Stream5_IRQHandler, DMA1_Stream6_IRQHandler, ADC_IRQHandler, CAN1_TX_IRQHandler, CAN1_RX0_IRQHandler,
    CAN1_RX1_IRQHandler, CAN1_SCE_IRQHandler, EXTI9_5_IRQHandler, TIM1_BRK_TIM9_IRQHandler,
    TIM1_UP_TIM10_IRQHandler, TIM1_TRG_COM_TIM11_IRQHandler, TIM1_CC_IRQHandler, TIM2_IRQHandler,
    TIM3_IRQHandler, TIM4_IRQHandler, I2C1_EV_IRQHandler, I2C1_ER_IRQHandler, I2C2_EV_IRQHandler,
    I2C2_ER_IRQHandler, SPI1_IRQHandler, SPI2_IRQHandler, USART1_IRQHandler, USART2_IRQHandler,
    USART3_IRQHandler, EXTI15_10_IRQHandler, RTC_Alarm_IRQHandler, OTG_FS_WKUP_IRQHandler,
    TIM8_BRK_TIM12_IRQHandler, TIM8_UP_TIM13_IRQHandler, TIM8_TRG_COM_TIM14_IRQHandler, TIM8_CC_IRQHandler,
    DMA1_Stream7_IRQHandler, FSMC_IRQHandler, SDIO_IRQHandler, TIM5_IRQHandler, SPI3_IRQHandler,
    UART4_IRQHandler, UART5_IRQHandler, TIM6_DAC_IRQHandler, TIM7_IRQHandler, DMA2_Stream0_IRQHandler,
    DMA2_Stream1_IRQHandler, DMA2_Stream2_IRQHandler, DMA2_Stream3_IRQHandler, DMA2_Stream4_IRQHandler,
    ETH_IRQHandler, ETH_WKUP_IRQHandler, CAN2_TX_IRQHandler, CAN2_RX0_IRQHandler, CAN2_RX1_IRQHandler,
    CAN2_SCE_IRQHandler, OTG_FS_IRQHandler, DMA2_Stream5_IRQHandler, DMA2_Stream6_IRQHandler,
    DMA2_Stream7_IRQHandler, USART6_IRQHandler, I2C3_EV_IRQHandler, I2C3_ER_IRQHandler,
    OTG_HS_EP1_OUT_IRQHandler, OTG_HS_EP1_IN_IRQHandler, OTG_HS_WKUP_IRQHandler, OTG_HS_IRQHandler,
    DCMI_IRQHandler, CRYP_IRQHandler, HASH_RNG_IRQHandler, FPU_IRQHandler,
};

uint32_t runtime_irq_entries(int32_t irqn) {
    uint32_t exception = (uint32_t)(irqn + 16);
    return exception < 16U + 82U ? exception_entries[exception] : 0U;
}

/* Count, then tail-jump to the handler: r0-r3 are stacked by the exception entry, and LR (EXC_RETURN)
   and SP (the frame) reach the handler as the hardware left them, so Fault_Entry still sees its frame. */
__attribute__((naked)) void Exception_Entry(void) {
    __asm volatile(
        "mrs r0, ipsr\n"
        "ubfx r0, r0, #0, #9\n"
        "ldr r1, =exception_entries\n"
        "ldr r2, [r1, r0, lsl #2]\n"
        "adds r2, r2, #1\n"
        "str r2, [r1, r0, lsl #2]\n"
        "ldr r1, =exception_handlers\n"
        "ldr r1, [r1, r0, lsl #2]\n"
        "bx r1\n");
}

/* Reset and the four fault vectors go straight to the runtime; every other exception through the count. */
__attribute__((section(".isr_vector"), used)) const vector_t vector_table[16 + 82] = {
    [0] = (vector_t)&_estack, [1] = Reset_Handler, [2] = Exception_Entry, [3 ... 6] = Fault_Entry,
    [11] = Exception_Entry, [12] = Exception_Entry, [14 ... 16 + 81] = Exception_Entry,
};
