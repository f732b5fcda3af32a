#include <stddef.h>
#include <stdint.h>

static uint8_t crc8_step(uint8_t crc, uint8_t byte) {
    crc ^= byte;
    for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 1u) ? (uint8_t)((crc >> 1) ^ 0x8Cu) : (uint8_t)(crc >> 1);
    }
    return crc;
}

/* CRC-8/MAXIM (Dallas 1-Wire): reflected polynomial 0x31, initial value 0, no final XOR.
 * Used to validate the ROM code and scratchpad of 1-Wire temperature sensors. */
uint8_t crc8_maxim(const uint8_t *data, size_t len) {
    uint8_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc = crc8_step(crc, data[i]);
    }
    return crc;
}
