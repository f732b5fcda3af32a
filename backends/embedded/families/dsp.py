"""Fixed-point DSP: a Q15 FIR filter (per sample or per block), a moving average, a Q8 PID loop.

Integer arithmetic only, modelled exactly in Python (floor shifts, C truncating division,
saturation), so every output sample can be compared. The PID loop runs closed against a
first-order plant simulated by the harness.
"""

from __future__ import annotations

import random

from backends.embedded.families._common import Probe, c_array, firmware, fnv1a, grid, main_c, render, stimulus
from backends.embedded.firmware import Family, Firmware, Harness

TAP_SETS: dict[str, tuple[int, ...]] = {
    "lowpass5": (2621, 7864, 11796, 7864, 2621),
    "boxcar8": (4096,) * 8,
    "highpass3": (-16384, 32767, -16384),
    "bandpass7": (-1638, 0, 9830, 16384, 9830, 0, -1638),
}
BLOCK_MAX = 512


def sat16(value: int) -> int:
    return max(-32768, min(32767, value))


def fir(taps: tuple[int, ...], samples: list[int]) -> list[int]:
    history = [0] * len(taps)
    out = []
    for x in samples:
        history = [x, *history[:-1]]
        acc = sum(h * s for h, s in zip(taps, history, strict=True))
        out.append(sat16((acc + (1 << 14)) >> 15))
    return out


def trunc_div(a: int, b: int) -> int:
    """C's integer division (toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _signal(rng: random.Random, count: int) -> list[int]:
    """An impulse, a step, then random samples over the whole int16 range."""
    impulse = [32767] + [0] * 9
    step = [20000] * 20
    return (impulse + step + [rng.randrange(-32768, 32768) for _ in range(count)])[:count]


def build_fir(taps: str, mode: str, seed: int = 0) -> Firmware:
    coefficients = TAP_SETS[taps]
    n = len(coefficients)
    api = ("fir_step(x) filters one sample and returns one output" if mode == "sample" else
           f"fir_block(in, out, count) filters count (1..{BLOCK_MAX}) consecutive samples, keeping the "
           f"filter history in a function-local static buffer of {n - 1} + {BLOCK_MAX} samples")  # fmt: skip
    spec = f"""
        Implement a {n}-tap Q15 FIR filter (task.h) with coefficients h = {{{", ".join(map(str, coefficients))}}}:
        y[n] = sum over k of h[k] * x[n-k], accumulated in 64 bits, then rounded by adding 2^14 and
        shifting right by 15 (arithmetic shift), then saturated to the int16 range. Samples before
        the first input are 0; fir_init() resets that history. {api}. The filter state carries over
        between calls.
    """
    proto = "int16_t fir_step(int16_t x);" if mode == "sample" else \
        "void fir_block(const int16_t *in, int16_t *out, uint32_t count);"
    interface = f"""
        /* {n}-tap Q15 FIR ({taps}), {mode} interface. */
        #include <stdint.h>

        void fir_init(void);
        {proto}
    """
    reference = render(f"fir_{mode}", taps=n, coeffs=", ".join(map(str, coefficients)), block_max=BLOCK_MAX)
    rng = stimulus(seed, "fir_q15", taps, mode)
    samples = _signal(rng, 96)
    expected = fir(coefficients, samples)
    cut = 40 if mode == "sample" else rng.randrange(2, 80)  # blocks of cut, 1 and the rest
    if mode == "sample":
        run = ["fir_init();", "for (uint32_t i = 0U; i < 96U; i++) {", "    out[i] = fir_step(samples[i]);", "}"]
    else:
        run = ["fir_init();", f"fir_block(samples, out, {cut}U);", f"fir_block(samples + {cut}, out + {cut}, 1U);",
               f"fir_block(samples + {cut + 1}, out + {cut + 1}, {95 - cut}U);"]  # fmt: skip
    steps: list[str | Probe] = [*run]
    watched = sorted({0, 1, 2, n - 1, n, 12, cut, cut + 1, 95})  # the start, the taps' reach, the block seams
    steps += [Probe(f"y{i}", f"out[{i}]", expected[i], signed=True) for i in watched]
    steps += ["uint32_t h = HASH_INIT;", "for (uint32_t i = 0U; i < 96U; i++) {",
              "    h = hash_word(h, (uint16_t)out[i]);", "}",
              Probe("hash", "h", fnv1a(v & 0xFFFF for v in expected))]  # fmt: skip
    globals_ = c_array("int16_t", "samples", samples) + "static int16_t out[96];\n"
    source, console = main_c(steps, globals_=globals_)
    return firmware("fir_q15", {"taps": taps, "mode": mode}, spec, interface, reference, Harness(source, console))


def moving_average(window: int, rounding: str, samples: list[int]) -> list[int]:
    out, recent = [], []
    for x in samples:
        recent = [*recent, x][-window:]
        total, count = sum(recent), len(recent)
        if rounding == "nearest":
            magnitude = (abs(total) + count // 2) // count
            out.append(magnitude if total >= 0 else -magnitude)
        else:
            out.append(trunc_div(total, count))
    return out


def build_moving_average(window: int, rounding: str, seed: int = 0) -> Firmware:
    rule = ("rounded to the nearest integer with halves away from zero" if rounding == "nearest" else
            "truncated toward zero (C integer division)")  # fmt: skip
    spec = f"""
        Implement a moving average over the last {window} samples (task.h), in O(1) per sample with
        a running sum and a circular buffer. ma_update(x) adds sample x and returns the mean of the
        most recent min(samples so far, {window}) samples, {rule}. ma_reset() forgets all samples.
    """
    interface = f"""
        /* Moving average, window {window}, {rounding} rounding. */
        #include <stdint.h>

        void ma_reset(void);
        int16_t ma_update(int16_t x);
    """
    divide = ("return (int16_t)(sum >= 0 ? (sum + (int32_t)count / 2) / (int32_t)count\n"
              "                           : -((-sum + (int32_t)count / 2) / (int32_t)count));"
              if rounding == "nearest" else "return (int16_t)(sum / (int32_t)count);")  # fmt: skip
    reference = render("moving_average", {"DIVIDE": divide}, window=window)
    samples = _signal(stimulus(seed, "moving_average", window, rounding), 64) + [-7, -8, 7, 8, -1, 1, 0, -3]
    expected = moving_average(window, rounding, samples)
    steps: list[str | Probe] = ["ma_reset();", "uint32_t h = HASH_INIT;", "int16_t y = 0;",
                                f"for (uint32_t i = 0U; i < {len(samples)}U; i++) {{",
                                "    y = ma_update(samples[i]);", "    h = hash_word(h, (uint16_t)y);", "}",
                                Probe("last", "y", expected[-1], signed=True),
                                Probe("hash", "h", fnv1a(v & 0xFFFF for v in expected))]  # fmt: skip
    steps += ["ma_reset();", Probe("after_reset", "ma_update(-5)", -5, signed=True),
              Probe("second", "ma_update(-6)", moving_average(window, rounding, [-5, -6])[-1], signed=True)]
    source, console = main_c(steps, globals_=c_array("int16_t", "samples", samples))
    return firmware("moving_average", {"window": window, "rounding": rounding}, spec, interface, reference,
                    Harness(source, console))  # fmt: skip


GAINS = {"soft": (96, 8, 0), "firm": (256, 32, 64), "aggressive": (640, 96, 256)}  # Q8: 256 = 1.0
OUT_MAX = 1000


def pid_closed_loop(gains: tuple[int, int, int], windup: str, setpoints: list[int]) -> list[int]:
    kp, ki, kd = gains
    integral = previous = y = 0
    trace = []
    for sp in setpoints:
        error = sp - y
        integral += ki * error
        if windup == "clamp":
            integral = max(-(OUT_MAX << 8), min(OUT_MAX << 8, integral))
        u = max(-OUT_MAX, min(OUT_MAX, (kp * error + integral + kd * (error - previous)) >> 8))
        previous = error
        y += trunc_div(u - y, 8)
        trace.append(y)
    return trace


def build_pid(gains: str, windup: str, seed: int = 0) -> Firmware:
    kp, ki, kd = GAINS[gains]
    clamp_text = (f"after adding, clamp the integral to +/-({OUT_MAX} << 8) (anti-windup)" if windup == "clamp"
                  else "the integral is not limited")  # fmt: skip
    spec = f"""
        Implement a fixed-point PID controller (task.h) with Q8 gains Kp={kp}, Ki={ki}, Kd={kd}
        (256 = 1.0), in 32-bit integer arithmetic. pid_step(setpoint, measurement): error = setpoint -
        measurement; integral += Ki * error ({clamp_text}); output = (Kp * error + integral + Kd *
        (error - previous error)) >> 8 (arithmetic shift), saturated to [-{OUT_MAX}, {OUT_MAX}];
        then remember the error. pid_reset() zeroes the integral and the previous error.
    """
    interface = f"""
        /* Q8 PID: Kp={kp} Ki={ki} Kd={kd}, output limit {OUT_MAX}, {windup} integral. */
        #include <stdint.h>

        void pid_reset(void);
        int16_t pid_step(int16_t setpoint, int16_t measurement);
    """
    clamp = f"""
        if (integral > ({OUT_MAX} << 8)) {{
            integral = {OUT_MAX} << 8;
        }}
        if (integral < -({OUT_MAX} << 8)) {{
            integral = -({OUT_MAX} << 8);
        }}
    """ if windup == "clamp" else "\n"
    reference = render("pid", {"CLAMP": clamp}, kp=kp, ki=ki, kd=kd, out_max=OUT_MAX)
    rng = stimulus(seed, "pid_q8", gains, windup)
    # a step up, one down through zero, one far beyond the output limit and long enough to reach the
    # integral clamp (windup), and back to 0
    levels = (rng.randrange(200, 1500), rng.randrange(-1500, -100), rng.randrange(2500, 3001))
    setpoints = [0] * 5 + [levels[0]] * 60 + [levels[1]] * 40 + [levels[2]] * 30 + [0] * 25
    trace = pid_closed_loop(GAINS[gains], windup, setpoints)
    steps: list[str | Probe] = [
        "pid_reset();", "int32_t y = 0;", "uint32_t h = HASH_INIT;",
        f"for (uint32_t i = 0U; i < {len(setpoints)}U; i++) {{",
        "    int32_t u = pid_step(setpoints[i], (int16_t)y);",
        "    y += (u - y) / 8;",
        "    h = hash_word(h, (uint32_t)y);",
        "    trace[i] = y;",
        "}",
    ]  # fmt: skip
    steps += [Probe(f"y{i}", f"trace[{i}]", trace[i], signed=True) for i in (5, 6, 20, 64, 80, 104, 134, 159)]
    steps.append(Probe("hash", "h", fnv1a(v & 0xFFFFFFFF for v in trace)))
    globals_ = c_array("int16_t", "setpoints", setpoints) + f"static int32_t trace[{len(setpoints)}];\n"
    source, console = main_c(steps, globals_=globals_)
    return firmware("pid_q8", {"gains": gains, "windup": windup}, spec, interface, reference, Harness(source, console))


FIR = Family("fir_q15", grid(taps=tuple(TAP_SETS), mode=("block", "sample")), build_fir)
MOVING_AVERAGE = Family("moving_average", grid(window=(4, 8, 10, 16), rounding=("truncate", "nearest")),
                        build_moving_average)  # fmt: skip
PID = Family("pid_q8", grid(gains=tuple(GAINS), windup=("clamp", "none")), build_pid)
