#include "task.h"

#define KP ${kp}
#define KI ${ki}
#define KD ${kd}
#define OUT_MAX ${out_max}

static int32_t integral;
static int32_t previous;

void pid_reset(void) {
    integral = 0;
    previous = 0;
}

int16_t pid_step(int16_t setpoint, int16_t measurement) {
    int32_t error = (int32_t)setpoint - measurement;
    integral += KI * error;
    @CLAMP@
    int32_t output = (KP * error + integral + KD * (error - previous)) >> 8;
    previous = error;
    if (output > OUT_MAX) {
        output = OUT_MAX;
    }
    if (output < -OUT_MAX) {
        output = -OUT_MAX;
    }
    return (int16_t)output;
}
