#include "task.h"

#define SLIP_END 0xC0U
#define SLIP_ESC 0xDBU
#define SLIP_ESC_END 0xDCU
#define SLIP_ESC_ESC 0xDDU

int32_t codec_run(const uint8_t *in, uint32_t len, uint8_t *out) {
    uint32_t o = 0U;
    for (uint32_t i = 0U; i < len; i++) {
        if (in[i] == SLIP_END) {
            out[o++] = SLIP_ESC;
            out[o++] = SLIP_ESC_END;
        } else if (in[i] == SLIP_ESC) {
            out[o++] = SLIP_ESC;
            out[o++] = SLIP_ESC_ESC;
        } else {
            out[o++] = in[i];
        }
    }
    out[o++] = SLIP_END;
    return (int32_t)o;
}
