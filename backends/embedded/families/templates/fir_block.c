#include "task.h"

#define TAPS ${taps}U
#define BLOCK_MAX ${block_max}U

static const int16_t coeffs[TAPS] = {${coeffs}};
static int16_t carry[TAPS - 1U];

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
    for (uint32_t k = 0U; k < TAPS - 1U; k++) {
        carry[k] = 0;
    }
}

void fir_block(const int16_t *in, int16_t *out, uint32_t count) {
    static int16_t state[TAPS - 1U + BLOCK_MAX];
    for (uint32_t k = 0U; k < TAPS - 1U; k++) {
        state[k] = carry[k];
    }
    for (uint32_t i = 0U; i < count; i++) {
        state[TAPS - 1U + i] = in[i];
    }
    for (uint32_t i = 0U; i < count; i++) {
        int64_t acc = 0;
        for (uint32_t k = 0U; k < TAPS; k++) {
            acc += (int32_t)coeffs[k] * state[TAPS - 1U + i - k];
        }
        out[i] = saturate((acc + (1LL << 14)) >> 15);
    }
    for (uint32_t k = 0U; k < TAPS - 1U; k++) {
        carry[k] = state[count + k];
    }
}
