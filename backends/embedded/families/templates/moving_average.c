#include "task.h"

#define WINDOW ${window}U

static int16_t window[WINDOW];
static uint32_t next;
static uint32_t count;
static int32_t sum;

void ma_reset(void) {
    next = 0U;
    count = 0U;
    sum = 0;
}

int16_t ma_update(int16_t x) {
    if (count == WINDOW) {
        sum -= window[next];
    } else {
        count++;
    }
    window[next] = x;
    sum += x;
    next++;
    if (next == WINDOW) {
        next = 0U;
    }
    @DIVIDE@
}
