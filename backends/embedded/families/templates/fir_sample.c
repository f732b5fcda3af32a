#include "task.h"

#define TAPS ${taps}U

static const int16_t coeffs[TAPS] = {${coeffs}};
static int16_t history[TAPS];

static int16_t saturate(int64_t value) {
    if (value > 32767) {
        return 32767;
    }
    if (value < -32768) {
        return -32768;
    }
    return (int16_t)value;
}

void fir_init(void) {
    for (uint32_t k = 0U; k < TAPS; k++) {
        history[k] = 0;
    }
}

int16_t fir_step(int16_t x) {
    for (uint32_t k = TAPS - 1U; k > 0U; k--) {
        history[k] = history[k - 1U];
    }
    history[0] = x;
    int64_t acc = 0;
    for (uint32_t k = 0U; k < TAPS; k++) {
        acc += (int32_t)coeffs[k] * history[k];
    }
    return saturate((acc + (1LL << 14)) >> 15);
}
