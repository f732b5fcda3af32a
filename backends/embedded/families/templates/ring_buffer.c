#include "task.h"

#define CAPACITY ${capacity}U

static uint16_t storage[CAPACITY];
static uint32_t head;
static uint32_t tail;
static uint32_t count;

static uint32_t advance(uint32_t index) {
    index++;
    if (index == CAPACITY) {
        index = 0U;
    }
    return index;
}

void rb_init(void) {
    head = 0U;
    tail = 0U;
    count = 0U;
}

int rb_push(uint16_t value) {
    @WHEN_FULL@
    storage[head] = value;
    head = advance(head);
    count++;
    return 1;
}

int rb_pop(uint16_t *value) {
    if (count == 0U) {
        return 0;
    }
    *value = storage[tail];
    tail = advance(tail);
    count--;
    return 1;
}

uint32_t rb_count(void) {
    return count;
}
