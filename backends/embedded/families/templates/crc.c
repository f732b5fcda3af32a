#include "task.h"

#define WIDTH ${width}U
#define POLY 0x${poly}UL
#define POLY_REFLECTED 0x${rpoly}UL
#define TOP_BIT (1UL << (WIDTH - 1U))
#define MASK 0x${mask}UL
#define INIT 0x${init}UL
#define XOROUT 0x${xorout}UL

@TABLE@

uint32_t crc_compute(const uint8_t *data, uint32_t len) {
    @INIT_TABLE@
    uint32_t crc = INIT;
    for (uint32_t i = 0U; i < len; i++) {
        @UPDATE@
    }
    return (crc ^ XOROUT) & MASK;
}
