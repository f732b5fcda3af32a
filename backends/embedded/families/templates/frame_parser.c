#include "task.h"

#define SOF 0x${sof}U
#define MAX_PAYLOAD ${max_payload}U

enum state { HUNT, LENGTH, DATA, CHECK };

static enum state state;
static uint8_t body[MAX_PAYLOAD];
static uint8_t last[MAX_PAYLOAD];
static uint32_t length;
static uint32_t received;
static uint32_t last_length;
static uint32_t sum;
static uint32_t errors;

void parser_init(void) {
    state = HUNT;
    last_length = 0U;
    errors = 0U;
}

int parser_feed(uint8_t byte) {
    switch (state) {
    case HUNT:
        if (byte == SOF) {
            state = LENGTH;
        }
        return 0;
    case LENGTH:
        if (byte >= 1U && byte <= MAX_PAYLOAD) {
            length = byte;
            received = 0U;
            sum = byte;
            state = DATA;
        } else {
            errors++;
            state = HUNT;
        }
        return 0;
    case DATA:
        body[received++] = byte;
        @UPDATE@
        if (received == length) {
            state = CHECK;
        }
        return 0;
    default:
        state = HUNT;
        if (byte != sum) {
            errors++;
            return 0;
        }
        for (uint32_t i = 0U; i < length; i++) {
            last[i] = body[i];
        }
        last_length = length;
        return 1;
    }
}

uint32_t parser_payload(uint8_t *out) {
    for (uint32_t i = 0U; i < last_length; i++) {
        out[i] = last[i];
    }
    return last_length;
}

uint32_t parser_errors(void) {
    return errors;
}
