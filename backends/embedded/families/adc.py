"""ADC1 single-channel configuration and raw-to-millivolt conversion.

QEMU's STM32F2xx ADC stores CR1/CR2/SMPRx/SQRx but never sets EOC (its DR returns a synthetic
ramp), so no conversion can be awaited the way firmware must on silicon; the task is the
configuration, checked by reading the registers back and the pin's analog mode in QEMU's log,
plus the scaling arithmetic, checked against a Python model.
"""

from __future__ import annotations

from backends.embedded.device import clock_gate
from backends.embedded.families._common import (
    Params,
    Probe,
    clock_checks,
    firmware,
    grid,
    main_c,
    pin_field_check,
    render,
    stimulus,
)
from backends.embedded.firmware import Family, Firmware, Harness

CHANNEL_PINS = {0: ("GPIOA", 0), 5: ("GPIOA", 5), 9: ("GPIOB", 1), 12: ("GPIOC", 2)}  # DS8626 Table 9
RESOLUTION_CODES = {12: 0, 10: 1, 8: 2, 6: 3}  # ADC_CR1.RES (RM0090 section 13.13.2)
SAMPLE_CODES = {3: 0, 15: 1, 28: 2, 56: 3, 84: 4, 112: 5, 144: 6, 480: 7}  # ADC_SMPRx.SMPx
VREF_MV = 3300


def to_mv(raw: int, bits: int) -> int:
    full = (1 << bits) - 1
    return (raw * VREF_MV + full // 2) // full


def build_adc(channel: int, resolution: int, sample_cycles: int, seed: int = 0) -> Firmware:
    port, pin = CHANNEL_PINS[channel]
    smpr = "SMPR2" if channel <= 9 else "SMPR1"
    smp_shift = 3 * (channel % 10)
    full = (1 << resolution) - 1
    gpio, adc = clock_gate(port), clock_gate("ADC1")
    spec = f"""
        Configure ADC1 for single conversions of channel {channel} (pin P{port[-1]}{pin}) (task.h).
        adc_init() enables the clocks of {port} and ADC1, puts P{port[-1]}{pin} in analog mode,
        selects {resolution}-bit resolution (ADC_CR1.RES) with everything else in CR1 at 0, a
        sampling time of {sample_cycles} cycles for channel {channel} (the other channels' sampling
        times stay 0), a regular sequence of one conversion whose first element is channel
        {channel}, right alignment, and turns the ADC on (ADON) without starting a conversion.
        adc_to_mv(raw) converts a raw {resolution}-bit result to millivolts with a {VREF_MV} mV
        reference: (raw * {VREF_MV} + {full // 2}) / {full}, using unsigned 32-bit arithmetic.
    """
    interface = f"""
        /* ADC1 channel {channel} on P{port[-1]}{pin}: {resolution}-bit, {sample_cycles}-cycle sampling. */
        #include <stdint.h>

        void adc_init(void);
        uint32_t adc_to_mv(uint32_t raw);
    """
    reference = render(
        "adc", channel=channel, full=full, vref=VREF_MV, port=port, pin=pin, smpr=smpr,
        res_code=RESOLUTION_CODES[resolution], smp_code=SAMPLE_CODES[sample_cycles],
        gpio_enr=gpio.register.split(".")[1], gpio_macro=gpio.macro, adc_enr=adc.register.split(".")[1],
        adc_macro=adc.macro,
    )
    steps: list[str | Probe] = [
        "adc_init();",
        Probe("cr1", "ADC1->CR1", RESOLUTION_CODES[resolution] << 24), Probe("cr2", "ADC1->CR2", 1),
        Probe("smpr1", "ADC1->SMPR1", SAMPLE_CODES[sample_cycles] << smp_shift if smpr == "SMPR1" else 0),
        Probe("smpr2", "ADC1->SMPR2", SAMPLE_CODES[sample_cycles] << smp_shift if smpr == "SMPR2" else 0),
        Probe("sqr1", "ADC1->SQR1", 0), Probe("sqr3", "ADC1->SQR3", channel),
    ]
    rng = stimulus(seed, "adc_config", channel, resolution, sample_cycles)
    raws = {"0": 0, "1": 1, "third": full // 3, "half": full // 2, "top": full - 1, "full": full}
    raws |= {f"random{i}": rng.randrange(2, full - 1) for i in range(3)}
    steps += [Probe(f"mv_{name}", f"adc_to_mv({raw}U)", to_mv(raw, resolution), signed=True)
              for name, raw in raws.items()]  # fmt: skip
    source, console = main_c(steps)
    checks = clock_checks(port, "ADC1") + (
        pin_field_check(port, "MODER", [pin], 2, 0b11, f"P{port[-1]}{pin} must be in analog mode for ADC input"),
    )
    params: Params = {"channel": channel, "resolution": resolution, "sample_cycles": sample_cycles}
    return firmware("adc_config", params, spec, interface, reference, Harness(source, console, checks=checks))


ADC_CONFIG = Family("adc_config", grid(channel=tuple(CHANNEL_PINS), resolution=(12, 10, 8, 6),
                                       sample_cycles=(3, 84, 480)), build_adc)  # fmt: skip
