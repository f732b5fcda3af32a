#include "task.h"

int32_t codec_run(const uint8_t *in, uint32_t len, uint8_t *out) {
    uint32_t i = 0U;
    uint32_t o = 0U;
    while (i < len) {
        uint32_t code = in[i];
        if (code == 0U || i + code > len) {
            return -1;
        }
        for (uint32_t k = 1U; k < code; k++) {
            if (in[i + k] == 0U) {
                return -1;
            }
            out[o++] = in[i + k];
        }
        i += code;
        if (code < 0xFFU && i < len) {
            out[o++] = 0U;
        }
    }
    return (int32_t)o;
}
