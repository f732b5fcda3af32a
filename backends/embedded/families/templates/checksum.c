#include "task.h"

@STATE@

void ck_init(void) {
    @INIT@
}

void ck_update(const uint8_t *data, uint32_t len) {
    for (uint32_t i = 0U; i < len; i++) {
        @UPDATE@
    }
}

uint32_t ck_final(void) {
    @FINAL@
}
