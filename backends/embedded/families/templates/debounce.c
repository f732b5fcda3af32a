#include "task.h"

#define THRESHOLD ${threshold}U
#define PRESSED_LEVEL ${pressed_level}U

static uint32_t counter;
static uint8_t state;
static uint32_t presses;

void debounce_reset(void) {
    counter = 0U;
    state = 0U;
    presses = 0U;
}

uint8_t debounce_sample(uint8_t level) {
    if (level == PRESSED_LEVEL) {
        if (counter < THRESHOLD) {
            counter++;
        }
    } else if (counter > 0U) {
        counter--;
    }
    if (counter == THRESHOLD && state == 0U) {
        state = 1U;
        presses++;
    } else if (counter == 0U) {
        state = 0U;
    }
    return state;
}

uint32_t debounce_presses(void) {
    return presses;
}
