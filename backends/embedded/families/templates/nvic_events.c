#include "stm32f407.h"
#include "task.h"

void events_init(void) {
    @SETUP@
}

void events_raise(uint32_t id) {
    switch (id) {
    @CASES@
    default:
        break;
    }
}

@HANDLERS@
