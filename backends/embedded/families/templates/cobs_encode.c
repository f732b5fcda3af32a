#include "task.h"

int32_t codec_run(const uint8_t *in, uint32_t len, uint8_t *out) {
    uint32_t code_at = 0U;
    uint32_t o = 1U;
    uint8_t code = 1U;
    for (uint32_t i = 0U; i < len; i++) {
        if (in[i] == 0U) {
            out[code_at] = code;
            code_at = o++;
            code = 1U;
        } else {
            out[o++] = in[i];
            code++;
            if (code == 0xFFU) {
                out[code_at] = code;
                code_at = o++;
                code = 1U;
            }
        }
    }
    out[code_at] = code;
    return (int32_t)o;
}
