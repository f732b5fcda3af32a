"""Counter and timer families: modulo counter, up/down counter, clock-enable divider, PWM, LFSR."""

from __future__ import annotations

from backends.verilog.design import Family, VerilogDesign
from backends.verilog.families._common import Params, code, design, grid, hexlit, index_bits, lit, ports, sized, vec


def build_counter(width: int, limit: int) -> VerilogDesign:
    """Modulo-(limit+1) up counter with enable and a combinational wrap flag."""
    spec = f"""
        Module `counter` is {sized(width)} synchronous up counter with count enable. On each rising edge
        of clk: if rst is high, count becomes 0; otherwise, if en is high, count increments by 1, except
        that when count equals {limit} it wraps to 0 instead; if en is low, count holds. The output
        `count` is the registered counter value. The output `wrap` is combinational and is 1 exactly
        when en is 1 and count equals {limit} (the cycle in which the counter will wrap), otherwise 0.
    """
    body = code(f"""
        assign wrap = en & (count == {lit(width, limit)});

        always @(posedge clk) begin
            if (rst) begin
                count <= {lit(width, 0)};
            end else if (en) begin
                if (count == {lit(width, limit)})
                    count <= {lit(width, 0)};
                else
                    count <= count + {lit(width, 1)};
            end
        end
    """)
    port_list = ports({"en": 1}, {"count": width, "wrap": 1}, clocked=True)
    return design("counter", {"width": width, "limit": limit}, spec, port_list, body,
                  regs={"count"}, stimulus={"en": 0.8})


def build_updown_counter(width: int, overflow: str, step: int) -> VerilogDesign:
    """Loadable up/down counter; `overflow` is "wrap" (modular) or "saturate" (clamp at 0 and max)."""
    top = (1 << width) - 1
    if overflow == "wrap":
        up = f"count <= count + {lit(width, step)};"
        down = f"count <= count - {lit(width, step)};"
        rule = f"arithmetic is modulo 2^{width} (it wraps around)"
    else:
        up = (f"count <= (count > {lit(width, top - step)}) ? {lit(width, top)} "
              f": count + {lit(width, step)};")
        down = (f"count <= (count < {lit(width, step)}) ? {lit(width, 0)} "
                f": count - {lit(width, step)};")
        rule = (f"the count saturates: counting up from a value above {top - step} gives {top}, and "
                f"counting down from a value below {step} gives 0")
    spec = f"""
        Module `updown_counter` is {sized(width)} synchronous up/down counter with parallel load. On each
        rising edge of clk: if rst is high, count becomes 0; else if load is high, count takes the
        value of d (load has priority over en); else if en is high, count increases by {step} when up
        is 1 and decreases by {step} when up is 0; otherwise count holds. When counting, {rule}. The
        output `count` is registered. The output `zero` is combinational and is 1 exactly when count
        equals 0.
    """
    body = code(f"""
        assign zero = (count == {lit(width, 0)});

        always @(posedge clk) begin
            if (rst) begin
                count <= {lit(width, 0)};
            end else if (load) begin
                count <= d;
            end else if (en) begin
                if (up)
                    {up}
                else
                    {down}
            end
        end
    """)
    port_list = ports({"en": 1, "up": 1, "load": 1, "d": width}, {"count": width, "zero": 1}, clocked=True)
    params: Params = {"width": width, "overflow": overflow, "step": step}
    return design("updown_counter", params, spec, port_list, body, regs={"count"},
                  stimulus={"en": 0.8, "up": 0.6, "load": 0.1})


def build_clock_divider(divisor: int, tick: str) -> VerilogDesign:
    """Clock-enable divider: a tick every `divisor` enabled cycles and a ~50% duty divided output."""
    width = index_bits(divisor)
    half = (divisor + 1) // 2
    last = f"(cnt == {lit(width, divisor - 1)})"
    if tick == "registered":
        tick_rtl = f"tick <= en & {last};"
        tick_spec = (f"The output `tick` is registered: on each rising edge (not in reset) it is loaded "
                     f"with 1 if en is 1 and the phase counter equals {divisor - 1}, else 0, so it "
                     f"pulses for one cycle right after each wrap; reset clears it to 0.")
        assign = ""
    else:
        tick_rtl = ""
        tick_spec = (f"The output `tick` is combinational: it is 1 exactly when en is 1 and the phase "
                     f"counter equals {divisor - 1} (the cycle in which the counter wraps).")
        assign = f"assign tick = en & {last};"
    spec = f"""
        Module `clock_divider` divides the enabled clock by {divisor}. It has an internal {width}-bit
        phase counter that resets to 0 (rst is synchronous, active high); on each rising edge where en
        is 1 it increments, wrapping from {divisor - 1} back to 0, and it holds when en is 0. {tick_spec}
        The output `div` is combinational from the counter: 1 when the phase counter is less than
        {half}, else 0, giving a square wave with a period of {divisor} enabled cycles.
    """
    body = code(f"""
        reg {vec(width)}cnt;

        {assign}
        assign div = (cnt < {lit(width, half)});

        always @(posedge clk) begin
            if (rst) begin
                cnt <= {lit(width, 0)};
                {"tick <= 1'b0;" if tick == "registered" else ""}
            end else begin
                {tick_rtl}
                if (en) begin
                    if {last}
                        cnt <= {lit(width, 0)};
                    else
                        cnt <= cnt + {lit(width, 1)};
                end
            end
        end
    """)
    port_list = ports({"en": 1}, {"tick": 1, "div": 1}, clocked=True)
    regs = {"tick"} if tick == "registered" else set()
    return design("clock_divider", {"divisor": divisor, "tick": tick}, spec, port_list,
                  body, regs=regs, stimulus={"en": 0.9})


def build_pwm(width: int, polarity: str, duty_mode: str) -> VerilogDesign:
    """PWM generator; "latched" duty only takes effect at a period boundary (glitch-free)."""
    top = (1 << width) - 1
    duty_src = "duty_q" if duty_mode == "latched" else "duty"
    compare = f"(cnt < {duty_src})" if polarity == "high" else f"~(cnt < {duty_src})"
    level, idle = (1, 0) if polarity == "high" else (0, 1)
    if duty_mode == "latched":
        latch_spec = (f"The duty value used for comparison is an internal register duty_q, reset to 0, "
                      f"that loads the input duty on each rising edge at which the period counter "
                      f"equals {top} (so a new duty takes effect with the next period).")
        latch_rtl = f"if (cnt == {lit(width, top)}) duty_q <= duty;"
        decl = f"reg {vec(width)}duty_q;"
        latch_rst = f"duty_q <= {lit(width, 0)};"
    else:
        latch_spec = "The duty value used for comparison is the input duty sampled at the same edge."
        latch_rtl = decl = latch_rst = ""
    spec = f"""
        Module `pwm` is a pulse-width modulator with a free-running {width}-bit period counter cnt that
        resets to 0 and increments by 1 on every rising edge, wrapping from {top} to 0. The output
        `pwm_out` is a register, reset to {idle}; on each rising edge not in
        reset it becomes {level} if the current cnt (before increment) is less than the duty value,
        and {idle} otherwise. {latch_spec} The output `period_start` is combinational and is 1
        exactly when cnt equals 0. Reset (rst) is synchronous and active high.
    """
    body = code(f"""
        reg {vec(width)}cnt;
        {decl}

        assign period_start = (cnt == {lit(width, 0)});

        always @(posedge clk) begin
            if (rst) begin
                cnt <= {lit(width, 0)};
                pwm_out <= 1'b{idle};
                {latch_rst}
            end else begin
                cnt <= cnt + {lit(width, 1)};
                pwm_out <= {compare};
                {latch_rtl}
            end
        end
    """)
    port_list = ports({"duty": width}, {"pwm_out": 1, "period_start": 1}, clocked=True)
    params: Params = {"width": width, "polarity": polarity, "duty_mode": duty_mode}
    return design("pwm", params, spec, port_list, body, regs={"pwm_out"})


# Maximal-length tap sets (XAPP052), taps numbered 1..width.
LFSR_TAPS: dict[int, tuple[int, ...]] = {
    3: (3, 2), 4: (4, 3), 5: (5, 3), 6: (6, 5), 7: (7, 6), 8: (8, 6, 5, 4), 10: (10, 7),
    12: (12, 6, 4, 1), 16: (16, 15, 13, 4), 20: (20, 17), 24: (24, 23, 22, 17), 32: (32, 22, 2, 1),
}


def build_lfsr(width: int, style: str, seed: str) -> VerilogDesign:
    """Fibonacci (external XOR, shift left) or Galois (internal XOR, shift right) LFSR with enable."""
    taps = LFSR_TAPS[width]
    seed_value = 1 if seed == "one" else (1 << width) - 1
    tap_text = ", ".join(str(t) for t in taps)
    if style == "fibonacci":
        feedback = " ^ ".join(f"q[{t - 1}]" for t in taps)
        step = f"q <= {{q[{width - 2}:0], {feedback}}};"
        rule = (f"q shifts left by one (q[i] takes q[i-1]) and the new q[0] is the XOR of the tap bits "
                f"q[t-1] for taps t = {tap_text}, all taken before the shift")
    else:
        mask = sum(1 << (t - 1) for t in taps)
        step = f"q <= {{1'b0, q[{width - 1}:1]}} ^ ({{{width}{{q[0]}}}} & {hexlit(width, mask)});"
        rule = (f"q shifts right by one with 0 entering q[{width - 1}], and then, if the old q[0] was 1, "
                f"the result is XORed with the mask {width}'h{mask:X} (bits t-1 for taps t = {tap_text})")
    spec = f"""
        Module `lfsr` is {sized(width)} {style.capitalize()} linear-feedback shift register with output q. On each
        rising edge of clk: if rst is high, q is set to the seed {width}'h{seed_value:X}; otherwise, if
        en is high, {rule}; if en is low, q holds. q is the register itself (no combinational path).
    """
    body = code(f"""
        always @(posedge clk) begin
            if (rst)
                q <= {hexlit(width, seed_value)};
            else if (en)
                {step}
        end
    """)
    port_list = ports({"en": 1}, {"q": width}, clocked=True)
    params: Params = {"width": width, "style": style, "seed": seed}
    return design("lfsr", params, spec, port_list, body, regs={"q"}, stimulus={"en": 0.9})


COUNTER = Family("counter", tuple(
    p for p in grid(width=(4, 5, 6, 7, 8, 10, 12, 16), limit=(5, 9, 10, 15, 23, 40, 60))
    if int(p["limit"]) < 1 << int(p["width"])
), build_counter)
UPDOWN_COUNTER = Family("updown_counter", grid(width=(3, 4, 5, 6, 8, 10, 12, 16),
                                               overflow=("wrap", "saturate"), step=(1, 2)),
                        build_updown_counter)
CLOCK_DIVIDER = Family("clock_divider", grid(divisor=(2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 50),
                                             tick=("registered", "combinational")), build_clock_divider)
PWM = Family("pwm", grid(width=(2, 3, 4, 5, 6), polarity=("high", "low"), duty_mode=("direct", "latched")),
             build_pwm)
LFSR = Family("lfsr", grid(width=tuple(LFSR_TAPS), style=("fibonacci", "galois"), seed=("one", "ones")),
              build_lfsr)
