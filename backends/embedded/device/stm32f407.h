/*
 * STM32F407 device header: the register maps a firmware task needs, written from the
 * register tables of RM0090 (Rev 19) and the Cortex-M4 Generic User Guide (core peripherals).
 *
 * Layout follows the CMSIS convention (a struct per peripheral, a pointer macro per instance,
 * `<PERIPH>_<REG>_<FIELD>` bit masks), so code written against ST's header reads the same here.
 * Only the registers and bits the seed tasks touch are named; reserved gaps keep offsets exact.
 */
#ifndef STM32F407_H
#define STM32F407_H

#include <stdint.h>

#define __IO volatile
#define __I volatile const

/* ---- Interrupt numbers (RM0090 Table 61, vector table for STM32F405xx/07xx) ---- */
typedef enum {
    NonMaskableInt_IRQn = -14, HardFault_IRQn = -13, MemoryManagement_IRQn = -12, BusFault_IRQn = -11,
    UsageFault_IRQn = -10, SVCall_IRQn = -5, DebugMonitor_IRQn = -4, PendSV_IRQn = -2, SysTick_IRQn = -1,
    WWDG_IRQn = 0, PVD_IRQn = 1, TAMP_STAMP_IRQn = 2, RTC_WKUP_IRQn = 3, FLASH_IRQn = 4, RCC_IRQn = 5,
    EXTI0_IRQn = 6, EXTI1_IRQn = 7, EXTI2_IRQn = 8, EXTI3_IRQn = 9, EXTI4_IRQn = 10,
    DMA1_Stream0_IRQn = 11, DMA1_Stream1_IRQn = 12, DMA1_Stream2_IRQn = 13, DMA1_Stream3_IRQn = 14,
    DMA1_Stream4_IRQn = 15, DMA1_Stream5_IRQn = 16, DMA1_Stream6_IRQn = 17, ADC_IRQn = 18,
    CAN1_TX_IRQn = 19, CAN1_RX0_IRQn = 20, CAN1_RX1_IRQn = 21, CAN1_SCE_IRQn = 22, EXTI9_5_IRQn = 23,
    TIM1_BRK_TIM9_IRQn = 24, TIM1_UP_TIM10_IRQn = 25, TIM1_TRG_COM_TIM11_IRQn = 26, TIM1_CC_IRQn = 27,
    TIM2_IRQn = 28, TIM3_IRQn = 29, TIM4_IRQn = 30, I2C1_EV_IRQn = 31, I2C1_ER_IRQn = 32,
    I2C2_EV_IRQn = 33, I2C2_ER_IRQn = 34, SPI1_IRQn = 35, SPI2_IRQn = 36, USART1_IRQn = 37,
    USART2_IRQn = 38, USART3_IRQn = 39, EXTI15_10_IRQn = 40, RTC_Alarm_IRQn = 41, OTG_FS_WKUP_IRQn = 42,
    TIM8_BRK_TIM12_IRQn = 43, TIM8_UP_TIM13_IRQn = 44, TIM8_TRG_COM_TIM14_IRQn = 45, TIM8_CC_IRQn = 46,
    DMA1_Stream7_IRQn = 47, FSMC_IRQn = 48, SDIO_IRQn = 49, TIM5_IRQn = 50, SPI3_IRQn = 51,
    UART4_IRQn = 52, UART5_IRQn = 53, TIM6_DAC_IRQn = 54, TIM7_IRQn = 55,
    DMA2_Stream0_IRQn = 56, DMA2_Stream1_IRQn = 57, DMA2_Stream2_IRQn = 58, DMA2_Stream3_IRQn = 59,
    DMA2_Stream4_IRQn = 60, ETH_IRQn = 61, ETH_WKUP_IRQn = 62, CAN2_TX_IRQn = 63, CAN2_RX0_IRQn = 64,
    CAN2_RX1_IRQn = 65, CAN2_SCE_IRQn = 66, OTG_FS_IRQn = 67, DMA2_Stream5_IRQn = 68,
    DMA2_Stream6_IRQn = 69, DMA2_Stream7_IRQn = 70, USART6_IRQn = 71, I2C3_EV_IRQn = 72,
    I2C3_ER_IRQn = 73, OTG_HS_EP1_OUT_IRQn = 74, OTG_HS_EP1_IN_IRQn = 75, OTG_HS_WKUP_IRQn = 76,
    OTG_HS_IRQn = 77, DCMI_IRQn = 78, CRYP_IRQn = 79, HASH_RNG_IRQn = 80, FPU_IRQn = 81
} IRQn_Type;

/* ---- Memory map (RM0090 section 2.3, Table 1) ---- */
#define FLASH_BASE      0x08000000UL
#define CCMDATARAM_BASE 0x10000000UL
#define SRAM1_BASE      0x20000000UL
#define PERIPH_BASE     0x40000000UL
#define APB1PERIPH_BASE PERIPH_BASE
#define APB2PERIPH_BASE (PERIPH_BASE + 0x00010000UL)
#define AHB1PERIPH_BASE (PERIPH_BASE + 0x00020000UL)

#define TIM2_BASE   (APB1PERIPH_BASE + 0x0000UL)
#define TIM3_BASE   (APB1PERIPH_BASE + 0x0400UL)
#define TIM4_BASE   (APB1PERIPH_BASE + 0x0800UL)
#define TIM5_BASE   (APB1PERIPH_BASE + 0x0C00UL)
#define TIM6_BASE   (APB1PERIPH_BASE + 0x1000UL)
#define TIM7_BASE   (APB1PERIPH_BASE + 0x1400UL)
#define USART2_BASE (APB1PERIPH_BASE + 0x4400UL)
#define USART3_BASE (APB1PERIPH_BASE + 0x4800UL)
#define UART4_BASE  (APB1PERIPH_BASE + 0x4C00UL)
#define UART5_BASE  (APB1PERIPH_BASE + 0x5000UL)
#define TIM1_BASE   (APB2PERIPH_BASE + 0x0000UL)
#define TIM8_BASE   (APB2PERIPH_BASE + 0x0400UL)
#define USART1_BASE (APB2PERIPH_BASE + 0x1000UL)
#define USART6_BASE (APB2PERIPH_BASE + 0x1400UL)
#define ADC1_BASE   (APB2PERIPH_BASE + 0x2000UL)
#define ADC2_BASE   (APB2PERIPH_BASE + 0x2100UL)
#define ADC3_BASE   (APB2PERIPH_BASE + 0x2200UL)
#define ADC_BASE    (APB2PERIPH_BASE + 0x2300UL)
#define SYSCFG_BASE (APB2PERIPH_BASE + 0x3800UL)
#define EXTI_BASE   (APB2PERIPH_BASE + 0x3C00UL)
#define GPIOA_BASE  (AHB1PERIPH_BASE + 0x0000UL)
#define GPIOB_BASE  (AHB1PERIPH_BASE + 0x0400UL)
#define GPIOC_BASE  (AHB1PERIPH_BASE + 0x0800UL)
#define GPIOD_BASE  (AHB1PERIPH_BASE + 0x0C00UL)
#define GPIOE_BASE  (AHB1PERIPH_BASE + 0x1000UL)
#define CRC_BASE    (AHB1PERIPH_BASE + 0x3000UL)
#define RCC_BASE    (AHB1PERIPH_BASE + 0x3800UL)
#define FLASH_R_BASE (AHB1PERIPH_BASE + 0x3C00UL)
#define DMA1_BASE   (AHB1PERIPH_BASE + 0x6000UL)
#define DMA2_BASE   (AHB1PERIPH_BASE + 0x6400UL)

/* ---- RCC (RM0090 section 7.3) ---- */
typedef struct {
    __IO uint32_t CR;          /* 0x00 */
    __IO uint32_t PLLCFGR;     /* 0x04 */
    __IO uint32_t CFGR;        /* 0x08 */
    __IO uint32_t CIR;         /* 0x0C */
    __IO uint32_t AHB1RSTR;    /* 0x10 */
    __IO uint32_t AHB2RSTR;    /* 0x14 */
    __IO uint32_t AHB3RSTR;    /* 0x18 */
    uint32_t RESERVED0;        /* 0x1C */
    __IO uint32_t APB1RSTR;    /* 0x20 */
    __IO uint32_t APB2RSTR;    /* 0x24 */
    uint32_t RESERVED1[2];     /* 0x28-0x2C */
    __IO uint32_t AHB1ENR;     /* 0x30 */
    __IO uint32_t AHB2ENR;     /* 0x34 */
    __IO uint32_t AHB3ENR;     /* 0x38 */
    uint32_t RESERVED2;        /* 0x3C */
    __IO uint32_t APB1ENR;     /* 0x40 */
    __IO uint32_t APB2ENR;     /* 0x44 */
    uint32_t RESERVED3[2];     /* 0x48-0x4C */
    __IO uint32_t AHB1LPENR;   /* 0x50 */
    __IO uint32_t AHB2LPENR;   /* 0x54 */
    __IO uint32_t AHB3LPENR;   /* 0x58 */
    uint32_t RESERVED4;        /* 0x5C */
    __IO uint32_t APB1LPENR;   /* 0x60 */
    __IO uint32_t APB2LPENR;   /* 0x64 */
    uint32_t RESERVED5[2];     /* 0x68-0x6C */
    __IO uint32_t BDCR;        /* 0x70 */
    __IO uint32_t CSR;         /* 0x74 */
    uint32_t RESERVED6[2];     /* 0x78-0x7C */
    __IO uint32_t SSCGR;       /* 0x80 */
    __IO uint32_t PLLI2SCFGR;  /* 0x84 */
} RCC_TypeDef;

#define RCC_AHB1ENR_GPIOAEN  (1UL << 0)
#define RCC_AHB1ENR_GPIOBEN  (1UL << 1)
#define RCC_AHB1ENR_GPIOCEN  (1UL << 2)
#define RCC_AHB1ENR_GPIODEN  (1UL << 3)
#define RCC_AHB1ENR_GPIOEEN  (1UL << 4)
#define RCC_AHB1ENR_CRCEN    (1UL << 12)
#define RCC_AHB1ENR_DMA1EN   (1UL << 21)
#define RCC_AHB1ENR_DMA2EN   (1UL << 22)
#define RCC_APB1ENR_TIM2EN   (1UL << 0)
#define RCC_APB1ENR_TIM3EN   (1UL << 1)
#define RCC_APB1ENR_TIM4EN   (1UL << 2)
#define RCC_APB1ENR_TIM5EN   (1UL << 3)
#define RCC_APB1ENR_TIM6EN   (1UL << 4)
#define RCC_APB1ENR_TIM7EN   (1UL << 5)
#define RCC_APB1ENR_USART2EN (1UL << 17)
#define RCC_APB1ENR_USART3EN (1UL << 18)
#define RCC_APB1ENR_UART4EN  (1UL << 19)
#define RCC_APB1ENR_UART5EN  (1UL << 20)
#define RCC_APB1ENR_PWREN    (1UL << 28)
#define RCC_APB2ENR_TIM1EN   (1UL << 0)
#define RCC_APB2ENR_TIM8EN   (1UL << 1)
#define RCC_APB2ENR_USART1EN (1UL << 4)
#define RCC_APB2ENR_USART6EN (1UL << 5)
#define RCC_APB2ENR_ADC1EN   (1UL << 8)
#define RCC_APB2ENR_ADC2EN   (1UL << 9)
#define RCC_APB2ENR_ADC3EN   (1UL << 10)
#define RCC_APB2ENR_SYSCFGEN (1UL << 14)

/* ---- GPIO (RM0090 section 8.4) ---- */
typedef struct {
    __IO uint32_t MODER;   /* 0x00 */
    __IO uint32_t OTYPER;  /* 0x04 */
    __IO uint32_t OSPEEDR; /* 0x08 */
    __IO uint32_t PUPDR;   /* 0x0C */
    __IO uint32_t IDR;     /* 0x10 */
    __IO uint32_t ODR;     /* 0x14 */
    __IO uint32_t BSRR;    /* 0x18 */
    __IO uint32_t LCKR;    /* 0x1C */
    __IO uint32_t AFR[2];  /* 0x20-0x24 */
} GPIO_TypeDef;

#define GPIO_MODER_INPUT  0x0UL  /* two bits per pin: MODERy[1:0] at bit 2y */
#define GPIO_MODER_OUTPUT 0x1UL
#define GPIO_MODER_AF     0x2UL
#define GPIO_MODER_ANALOG 0x3UL
#define GPIO_BSRR_BS(pin) (1UL << (pin))         /* set ODRy */
#define GPIO_BSRR_BR(pin) (1UL << ((pin) + 16))  /* reset ODRy */

/* ---- USART (RM0090 section 30.6) ---- */
typedef struct {
    __IO uint32_t SR;   /* 0x00 */
    __IO uint32_t DR;   /* 0x04 */
    __IO uint32_t BRR;  /* 0x08 */
    __IO uint32_t CR1;  /* 0x0C */
    __IO uint32_t CR2;  /* 0x10 */
    __IO uint32_t CR3;  /* 0x14 */
    __IO uint32_t GTPR; /* 0x18 */
} USART_TypeDef;

#define USART_SR_PE      (1UL << 0)
#define USART_SR_FE      (1UL << 1)
#define USART_SR_NF      (1UL << 2)
#define USART_SR_ORE     (1UL << 3)
#define USART_SR_IDLE    (1UL << 4)
#define USART_SR_RXNE    (1UL << 5)
#define USART_SR_TC      (1UL << 6)
#define USART_SR_TXE     (1UL << 7)
#define USART_CR1_SBK    (1UL << 0)
#define USART_CR1_RWU    (1UL << 1)
#define USART_CR1_RE     (1UL << 2)
#define USART_CR1_TE     (1UL << 3)
#define USART_CR1_IDLEIE (1UL << 4)
#define USART_CR1_RXNEIE (1UL << 5)
#define USART_CR1_TCIE   (1UL << 6)
#define USART_CR1_TXEIE  (1UL << 7)
#define USART_CR1_PEIE   (1UL << 8)
#define USART_CR1_PS     (1UL << 9)
#define USART_CR1_PCE    (1UL << 10)
#define USART_CR1_WAKE   (1UL << 11)
#define USART_CR1_M      (1UL << 12)
#define USART_CR1_UE     (1UL << 13)
#define USART_CR1_OVER8  (1UL << 15)
#define USART_CR2_STOP_Pos 12U  /* STOP[1:0]: 00 = 1 stop bit, 10 = 2 stop bits */

/* ---- General-purpose timers TIM2..TIM5 (RM0090 section 18.4) ---- */
typedef struct {
    __IO uint32_t CR1;   /* 0x00 */
    __IO uint32_t CR2;   /* 0x04 */
    __IO uint32_t SMCR;  /* 0x08 */
    __IO uint32_t DIER;  /* 0x0C */
    __IO uint32_t SR;    /* 0x10 */
    __IO uint32_t EGR;   /* 0x14 */
    __IO uint32_t CCMR1; /* 0x18 */
    __IO uint32_t CCMR2; /* 0x1C */
    __IO uint32_t CCER;  /* 0x20 */
    __IO uint32_t CNT;   /* 0x24 */
    __IO uint32_t PSC;   /* 0x28 */
    __IO uint32_t ARR;   /* 0x2C */
    __IO uint32_t RCR;   /* 0x30 */
    __IO uint32_t CCR1;  /* 0x34 */
    __IO uint32_t CCR2;  /* 0x38 */
    __IO uint32_t CCR3;  /* 0x3C */
    __IO uint32_t CCR4;  /* 0x40 */
    __IO uint32_t BDTR;  /* 0x44 */
    __IO uint32_t DCR;   /* 0x48 */
    __IO uint32_t DMAR;  /* 0x4C */
    __IO uint32_t OR;    /* 0x50 */
} TIM_TypeDef;

#define TIM_CR1_CEN   (1UL << 0)
#define TIM_CR1_UDIS  (1UL << 1)
#define TIM_CR1_URS   (1UL << 2)
#define TIM_CR1_OPM   (1UL << 3)
#define TIM_CR1_DIR   (1UL << 4)
#define TIM_CR1_ARPE  (1UL << 7)
#define TIM_DIER_UIE  (1UL << 0)
#define TIM_DIER_CC1IE (1UL << 1)
#define TIM_DIER_CC2IE (1UL << 2)
#define TIM_SR_UIF    (1UL << 0)
#define TIM_SR_CC1IF  (1UL << 1)
#define TIM_EGR_UG    (1UL << 0)
#define TIM_CCMR1_OC1M_Pos 4U   /* OC1M[2:0]: 110 = PWM mode 1 */
#define TIM_CCMR1_OC1PE (1UL << 3)
#define TIM_CCER_CC1E (1UL << 0)
#define TIM_CCER_CC1P (1UL << 1)

/* ---- ADC (RM0090 section 13.13) ---- */
typedef struct {
    __IO uint32_t SR;    /* 0x00 */
    __IO uint32_t CR1;   /* 0x04 */
    __IO uint32_t CR2;   /* 0x08 */
    __IO uint32_t SMPR1; /* 0x0C */
    __IO uint32_t SMPR2; /* 0x10 */
    __IO uint32_t JOFR[4]; /* 0x14-0x20 */
    __IO uint32_t HTR;   /* 0x24 */
    __IO uint32_t LTR;   /* 0x28 */
    __IO uint32_t SQR1;  /* 0x2C */
    __IO uint32_t SQR2;  /* 0x30 */
    __IO uint32_t SQR3;  /* 0x34 */
    __IO uint32_t JSQR;  /* 0x38 */
    __IO uint32_t JDR[4]; /* 0x3C-0x48 */
    __IO uint32_t DR;    /* 0x4C */
} ADC_TypeDef;

#define ADC_SR_AWD     (1UL << 0)
#define ADC_SR_EOC     (1UL << 1)
#define ADC_SR_STRT    (1UL << 4)
#define ADC_SR_OVR     (1UL << 5)
#define ADC_CR1_EOCIE  (1UL << 5)
#define ADC_CR1_RES_Pos 24U     /* RES[1:0]: 00 = 12 bit, 01 = 10, 10 = 8, 11 = 6 */
#define ADC_CR2_ADON   (1UL << 0)
#define ADC_CR2_CONT   (1UL << 1)
#define ADC_CR2_DMA    (1UL << 8)
#define ADC_CR2_EOCS   (1UL << 10)
#define ADC_CR2_ALIGN  (1UL << 11)
#define ADC_CR2_SWSTART (1UL << 30)
#define ADC_SQR1_L_Pos 20U

/* ---- DMA (RM0090 section 10.5) ---- */
typedef struct {
    __IO uint32_t CR;   /* 0x10 + 0x18 * stream */
    __IO uint32_t NDTR;
    __IO uint32_t PAR;
    __IO uint32_t M0AR;
    __IO uint32_t M1AR;
    __IO uint32_t FCR;
} DMA_Stream_TypeDef;

typedef struct {
    __IO uint32_t LISR;  /* 0x00 */
    __IO uint32_t HISR;  /* 0x04 */
    __IO uint32_t LIFCR; /* 0x08 */
    __IO uint32_t HIFCR; /* 0x0C */
    DMA_Stream_TypeDef S[8];
} DMA_TypeDef;

#define DMA_SxCR_EN      (1UL << 0)
#define DMA_SxCR_TCIE    (1UL << 4)
#define DMA_SxCR_DIR_Pos 6U
#define DMA_SxCR_MINC    (1UL << 10)
#define DMA_SxCR_CHSEL_Pos 25U

/* ---- CRC calculation unit (RM0090 section 4.4) ---- */
typedef struct {
    __IO uint32_t DR;  /* 0x00 */
    __IO uint8_t IDR;  /* 0x04 */
    uint8_t RESERVED0;
    uint16_t RESERVED1;
    __IO uint32_t CR;  /* 0x08 */
} CRC_TypeDef;

#define CRC_CR_RESET (1UL << 0)

/* ---- EXTI (RM0090 section 12.3) and SYSCFG (section 9.2) ---- */
typedef struct {
    __IO uint32_t IMR;   /* 0x00 */
    __IO uint32_t EMR;   /* 0x04 */
    __IO uint32_t RTSR;  /* 0x08 */
    __IO uint32_t FTSR;  /* 0x0C */
    __IO uint32_t SWIER; /* 0x10 */
    __IO uint32_t PR;    /* 0x14 */
} EXTI_TypeDef;

typedef struct {
    __IO uint32_t MEMRMP;    /* 0x00 */
    __IO uint32_t PMC;       /* 0x04 */
    __IO uint32_t EXTICR[4]; /* 0x08-0x14 */
    uint32_t RESERVED[2];    /* 0x18-0x1C */
    __IO uint32_t CMPCR;     /* 0x20 */
} SYSCFG_TypeDef;

/* ---- Cortex-M4 core peripherals (ARM DUI 0553, section 4) ---- */
typedef struct {
    __IO uint32_t CTRL;  /* 0xE000E010 */
    __IO uint32_t LOAD;  /* 0xE000E014, 24 bit */
    __IO uint32_t VAL;   /* 0xE000E018 */
    __I uint32_t CALIB;  /* 0xE000E01C */
} SysTick_Type;

#define SysTick_CTRL_ENABLE    (1UL << 0)
#define SysTick_CTRL_TICKINT   (1UL << 1)
#define SysTick_CTRL_CLKSOURCE (1UL << 2)  /* 1 = processor clock, 0 = external (HCLK/8) */
#define SysTick_CTRL_COUNTFLAG (1UL << 16)
#define SysTick_LOAD_RELOAD_Msk 0x00FFFFFFUL

typedef struct {
    __IO uint32_t ISER[8];   /* 0xE000E100 */
    uint32_t RESERVED0[24];
    __IO uint32_t ICER[8];   /* 0xE000E180 */
    uint32_t RESERVED1[24];
    __IO uint32_t ISPR[8];   /* 0xE000E200 */
    uint32_t RESERVED2[24];
    __IO uint32_t ICPR[8];   /* 0xE000E280 */
    uint32_t RESERVED3[24];
    __IO uint32_t IABR[8];   /* 0xE000E300 */
    uint32_t RESERVED4[56];
    __IO uint8_t IP[240];    /* 0xE000E400, one byte per IRQ, upper 4 bits implemented */
    uint32_t RESERVED5[644];
    __IO uint32_t STIR;      /* 0xE000EF00 */
} NVIC_Type;

typedef struct {
    __I uint32_t CPUID;   /* 0xE000ED00 */
    __IO uint32_t ICSR;   /* 0x04 */
    __IO uint32_t VTOR;   /* 0x08 */
    __IO uint32_t AIRCR;  /* 0x0C */
    __IO uint32_t SCR;    /* 0x10 */
    __IO uint32_t CCR;    /* 0x14 */
    __IO uint8_t SHP[12]; /* 0x18-0x20, system handler priorities 4..15 */
    __IO uint32_t SHCSR;  /* 0x24 */
    __IO uint32_t CFSR;   /* 0x28 */
    __IO uint32_t HFSR;   /* 0x2C */
    __IO uint32_t DFSR;   /* 0x30 */
    __IO uint32_t MMFAR;  /* 0x34 */
    __IO uint32_t BFAR;   /* 0x38 */
    __IO uint32_t AFSR;   /* 0x3C */
    uint32_t RESERVED0[18];
    __IO uint32_t CPACR;  /* 0x88 */
} SCB_Type;

#define SCB_ICSR_PENDSVSET (1UL << 28)
#define SCB_ICSR_PENDSTSET (1UL << 26)
#define SCB_CCR_DIV_0_TRP  (1UL << 4)
#define SCB_CCR_UNALIGN_TRP (1UL << 3)
#define SCB_SHCSR_MEMFAULTENA (1UL << 16)
#define SCB_SHCSR_BUSFAULTENA (1UL << 17)
#define SCB_SHCSR_USGFAULTENA (1UL << 18)

#define SCS_BASE     0xE000E000UL
#define SysTick_BASE (SCS_BASE + 0x0010UL)
#define NVIC_BASE    (SCS_BASE + 0x0100UL)
#define SCB_BASE     (SCS_BASE + 0x0D00UL)

/* ---- Instances ---- */
#define RCC    ((RCC_TypeDef *)RCC_BASE)
#define GPIOA  ((GPIO_TypeDef *)GPIOA_BASE)
#define GPIOB  ((GPIO_TypeDef *)GPIOB_BASE)
#define GPIOC  ((GPIO_TypeDef *)GPIOC_BASE)
#define GPIOD  ((GPIO_TypeDef *)GPIOD_BASE)
#define GPIOE  ((GPIO_TypeDef *)GPIOE_BASE)
#define USART1 ((USART_TypeDef *)USART1_BASE)
#define USART2 ((USART_TypeDef *)USART2_BASE)
#define USART3 ((USART_TypeDef *)USART3_BASE)
#define USART6 ((USART_TypeDef *)USART6_BASE)
#define TIM2   ((TIM_TypeDef *)TIM2_BASE)
#define TIM3   ((TIM_TypeDef *)TIM3_BASE)
#define TIM4   ((TIM_TypeDef *)TIM4_BASE)
#define TIM5   ((TIM_TypeDef *)TIM5_BASE)
#define ADC1   ((ADC_TypeDef *)ADC1_BASE)
#define DMA1   ((DMA_TypeDef *)DMA1_BASE)
#define DMA2   ((DMA_TypeDef *)DMA2_BASE)
#define CRC    ((CRC_TypeDef *)CRC_BASE)
#define EXTI   ((EXTI_TypeDef *)EXTI_BASE)
#define SYSCFG ((SYSCFG_TypeDef *)SYSCFG_BASE)
#define SysTick ((SysTick_Type *)SysTick_BASE)
#define NVIC   ((NVIC_Type *)NVIC_BASE)
#define SCB    ((SCB_Type *)SCB_BASE)

/* ---- Clocks after reset: the 16 MHz HSI drives SYSCLK, AHB, APB1 and APB2 (prescalers 1) ---- */
#define HSI_VALUE 16000000UL
#define SYSCLK_HZ HSI_VALUE
#define PCLK1_HZ  HSI_VALUE
#define PCLK2_HZ  HSI_VALUE

/* ---- CMSIS-style core helpers ---- */
static inline void NVIC_EnableIRQ(IRQn_Type irq) { NVIC->ISER[(uint32_t)irq >> 5] = 1UL << ((uint32_t)irq & 31U); }
static inline void NVIC_DisableIRQ(IRQn_Type irq) { NVIC->ICER[(uint32_t)irq >> 5] = 1UL << ((uint32_t)irq & 31U); }
static inline void NVIC_SetPendingIRQ(IRQn_Type irq) { NVIC->ISPR[(uint32_t)irq >> 5] = 1UL << ((uint32_t)irq & 31U); }
static inline void NVIC_ClearPendingIRQ(IRQn_Type irq) { NVIC->ICPR[(uint32_t)irq >> 5] = 1UL << ((uint32_t)irq & 31U); }
static inline void NVIC_SetPriority(IRQn_Type irq, uint32_t priority) {
    if ((int32_t)irq >= 0) {
        NVIC->IP[(uint32_t)irq] = (uint8_t)((priority << 4) & 0xFFU);
    } else {
        SCB->SHP[((uint32_t)irq & 0xFU) - 4U] = (uint8_t)((priority << 4) & 0xFFU);
    }
}
static inline void __enable_irq(void) { __asm volatile("cpsie i" ::: "memory"); }
static inline void __disable_irq(void) { __asm volatile("cpsid i" ::: "memory"); }
static inline void __WFI(void) { __asm volatile("wfi"); }
static inline void __DSB(void) { __asm volatile("dsb 0xF" ::: "memory"); }
static inline void __ISB(void) { __asm volatile("isb 0xF" ::: "memory"); }

#endif /* STM32F407_H */
