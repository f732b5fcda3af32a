"""Datapath families: ALU, barrel shifter, pipelined adder, multiply-accumulate, shift register."""

from __future__ import annotations

from backends.verilog.design import Family, VerilogDesign
from backends.verilog.families._common import (
    Params,
    clocked,
    code,
    counted,
    design,
    grid,
    index_bits,
    lit,
    ports,
    sized,
    vec,
)

# ALU operations: name -> (RTL for the (W+1)-bit result `wide` from a and b, description).
# Bit W of `wide` is the carry output. Every opset has an op driving carry and `slt` (so that the zero
# flag is exercised by random operands of any width).
ALU_OPS: dict[str, tuple[str, str]] = {
    "add": ("{{1'b0, a}} + {{1'b0, b}}", "y = a + b, carry = carry-out of the unsigned addition"),
    "sub": ("{{1'b0, a}} - {{1'b0, b}}", "y = a - b (modulo 2^{w}), carry = 1 when a < b unsigned (borrow)"),
    "and": ("{{1'b0, a & b}}", "y = a & b, carry = 0"),
    "or": ("{{1'b0, a | b}}", "y = a | b, carry = 0"),
    "xor": ("{{1'b0, a ^ b}}", "y = a ^ b, carry = 0"),
    "slt": ("{{{w}'d0, a < b}}", "y = 1 if a < b (unsigned) else 0, carry = 0"),
    "shl": ("{{a, 1'b0}}", "y = a shifted left by one with 0 shifted in, carry = a[{msb}]"),
    "shr": ("{{a[0], 1'b0, a[{msb}:1]}}", "y = a shifted right by one with 0 shifted in, carry = a[0]"),
}
ALU_OPSETS: dict[str, tuple[str, ...]] = {
    "arith": ("add", "sub", "slt", "or"),
    "logic": ("and", "xor", "shr", "slt"),
    "full": ("add", "sub", "and", "or", "xor", "slt", "shl", "shr"),
}


def build_alu(width: int, opset: str, encoding: str) -> VerilogDesign:
    """Combinational ALU; `encoding` "natural" or "reversed" assigns opcodes to the op list."""
    names = ALU_OPSETS[opset]
    op_bits = index_bits(len(names))
    codes = range(len(names)) if encoding == "natural" else range(len(names) - 1, -1, -1)
    items, described = [], []
    for opcode, name in zip(codes, names, strict=True):
        rtl, text = ALU_OPS[name]
        items.append(f"{lit(op_bits, opcode)}: wide = {rtl.format(w=width, msb=width - 1)};")
        described.append(f"op={opcode}: {text.format(w=width, msb=width - 1)}")
    spec = f"""
        Module `alu` is a purely combinational {width}-bit ALU with operands a and b, a {op_bits}-bit
        opcode op, result y, and flags carry and zero. The operations are: {"; ".join(described)}.
        All operands are unsigned. The zero output is 1 exactly when y is 0. There is no clock and no
        internal state.
    """
    case_items = "\n".join(sorted(items))
    body = code(f"""
        reg [{width}:0] wide;

        always @(*) begin
            case (op)
    """) + code(case_items, 3) + code(f"""
                default: wide = {lit(width + 1, 0)};
            endcase
        end

        assign y = wide[{width - 1}:0];
        assign carry = wide[{width}];
        assign zero = (wide[{width - 1}:0] == {lit(width, 0)});
    """)
    port_list = ports({"a": width, "b": width, "op": op_bits}, {"y": width, "carry": 1, "zero": 1},
                      clocked=False)
    params: Params = {"width": width, "opset": opset, "encoding": encoding}
    return design("alu", params, spec, port_list, body)


def build_barrel_shifter(width: int, op: str, registered: str) -> VerilogDesign:
    """Logarithmic barrel shifter (one mux stage per amount bit); optionally a registered output."""
    stages = index_bits(width)
    lines, prev = [], "data"
    for k in range(stages):
        n = 1 << k
        keep = f"{prev}[{width - 1 - n}:0]" if op in ("sll", "rol") else f"{prev}[{width - 1}:{n}]"
        if op == "sll":
            shifted = f"{{{keep}, {lit(n, 0)}}}"
        elif op == "srl":
            shifted = f"{{{lit(n, 0)}, {keep}}}"
        elif op == "sra":
            shifted = f"{{{{{n}{{data[{width - 1}]}}}}, {keep}}}"
        elif op == "rol":
            shifted = f"{{{keep}, {prev}[{width - 1}:{width - n}]}}"
        else:
            shifted = f"{{{prev}[{n - 1}:0], {keep}}}"
        lines.append(f"s{k} = amt[{k}] ? {shifted} : {prev};")
        prev = f"s{k}"
    meaning = {
        "sll": "data shifted left logically by amt bit positions, zeros entering at the LSB",
        "srl": "data shifted right logically by amt bit positions, zeros entering at the MSB",
        "sra": f"data shifted right arithmetically by amt positions, copies of data[{width - 1}] entering",
        "rol": "data rotated left by amt positions (bits leaving the MSB re-enter at the LSB)",
        "ror": "data rotated right by amt positions (bits leaving the LSB re-enter at the MSB)",
    }[op]
    is_clocked = registered == "yes"
    if is_clocked:
        timing = ("The output y is registered: on each rising edge of clk it loads the shifted value of "
                  "the current inputs, and a synchronous active-high rst clears it to 0.")
        out = clocked([f"y <= {lit(width, 0)};"], [f"y <= {prev};"])
    else:
        timing = "The module is purely combinational: y always reflects the current inputs."
        out = code(f"assign y = {prev};")
    example = _shift_example(width, op)
    spec = f"""
        Module `barrel_shifter` takes {sized(width)} input data and a {stages}-bit shift amount amt
        (0 to {width - 1}) and produces y = {meaning}. An amount of 0 gives y = data. {example}
        {timing}
    """
    decls = "\n".join(f"reg {vec(width)}s{k};" for k in range(stages))
    body = code(decls) + "\n" + code("always @(*) begin") + code("\n".join(lines), 2) + code("end") + "\n" + out
    port_list = ports({"data": width, "amt": stages}, {"y": width}, clocked=is_clocked)
    params: Params = {"width": width, "op": op, "registered": registered}
    return design("barrel_shifter", params, spec, port_list, body, regs={"y"} if is_clocked else ())


def _shift_example(width: int, op: str) -> str:
    """One worked example sentence for the barrel-shifter spec (amount 1, MSB and LSB set)."""
    data, full = (1 << (width - 1)) | 1, (1 << width) - 1
    result = {
        "sll": (data << 1) & full, "srl": data >> 1, "sra": (data >> 1) | (1 << (width - 1)),
        "rol": ((data << 1) | (data >> (width - 1))) & full, "ror": (data >> 1) | ((data & 1) << (width - 1)),
    }[op]
    digits = (width + 3) // 4
    return f"For example, data = {width}'h{data:0{digits}X} with amt = 1 gives y = {width}'h{result:0{digits}X}."


def build_pipe_adder(width: int, stages: int) -> VerilogDesign:
    """Adder split into `stages` carry-chained slices, one register stage per slice."""
    bounds = [width * k // stages for k in range(stages + 1)]
    decls, resets, updates = [], [], []

    def reg(name: str, w: int) -> None:
        decls.append(f"reg {vec(w)}{name};")
        resets.append(f"{name} <= {lit(w, 0)};")

    for k in range(stages):
        lo, hi = bounds[k], bounds[k + 1]
        cw = hi - lo
        if k == 0:
            a_k, b_k, cin = f"a[{hi - 1}:{lo}]", f"b[{hi - 1}:{lo}]", ""
        else:
            a_k, b_k, cin = f"a{k}[{cw - 1}:0]", f"b{k}[{cw - 1}:0]", f" + {{{lit(cw, 0)}, c{k - 1}}}"
        reg(f"c{k}", 1)
        reg(f"s{k}", cw)
        updates.append(f"{{c{k}, s{k}}} <= {{1'b0, {a_k}}} + {{1'b0, {b_k}}}{cin};")
        if k + 1 < stages:  # carry the not-yet-added operand slices to the next stage
            nxt = width - bounds[k + 1]
            src_a = f"a[{width - 1}:{bounds[k + 1]}]" if k == 0 else f"a{k}[{width - lo - 1}:{cw}]"
            src_b = src_a.replace("a", "b", 1)
            reg(f"a{k + 1}", nxt)
            reg(f"b{k + 1}", nxt)
            updates.append(f"a{k + 1} <= {src_a};")
            updates.append(f"b{k + 1} <= {src_b};")
        prev = f"s{k}"
        for d in range(1, stages - k):  # delay finished slices until the top slice is done
            cur = f"s{k}_d{d}"
            reg(cur, cw)
            updates.append(f"{cur} <= {prev};")
            prev = cur
    outs = [f"s{k}_d{stages - 1 - k}" if k < stages - 1 else f"s{k}" for k in range(stages)]
    slices = ", ".join(f"[{bounds[k + 1] - 1}:{bounds[k]}]" for k in range(stages))
    spec = f"""
        Module `pipe_adder` is {sized(width)} adder pipelined over {counted(stages, "register stage")}:
        the sum is computed in {counted(stages, "slice")} of bits {slices}, each slice adding its operand bits plus the
        registered carry of the slice below, one slice per stage. The outputs sum ({width} bits) and
        cout (the carry-out of bit {width - 1}) give a + b with a latency of {counted(stages, 'cycle')}: the
        a and b sampled at rising edge n appear on the outputs right after rising edge
        n+{stages - 1} and stay there for one cycle. All pipeline registers are reset to 0 by the
        synchronous active-high rst, so sum and cout read 0 until the first operands sampled after
        reset have reached the outputs.
    """
    body = code("\n".join(decls)) + "\n" + code(f"""
        assign sum = {{{", ".join(reversed(outs))}}};
        assign cout = c{stages - 1};
    """) + "\n" + clocked(resets, updates)
    port_list = ports({"a": width, "b": width}, {"sum": width, "cout": 1}, clocked=True)
    return design("pipe_adder", {"width": width, "stages": stages}, spec, port_list, body)


def build_mac(width: int, guard: int, overflow: str) -> VerilogDesign:
    """Multiply-accumulate; the accumulator has `guard` bits beyond the full product width."""
    acc_w = 2 * width + guard
    top = (1 << acc_w) - 1
    if overflow == "wrap":
        update = f"acc <= total[{acc_w - 1}:0];"
        rule = f"the sum wraps modulo 2^{acc_w}"
    else:
        update = f"acc <= total[{acc_w}] ? {acc_w}'h{top:X} : total[{acc_w - 1}:0];"
        rule = f"the accumulator saturates at {acc_w}'h{top:X} (all ones) instead of wrapping"
    spec = f"""
        Module `mac` is an unsigned multiply-accumulator with {width}-bit inputs a and b and
        {sized(acc_w)} registered accumulator output acc. On each rising edge of clk: if rst or clr is
        high, acc becomes 0 and ovf becomes 0 (clr has priority over en); else if en is high, acc
        receives acc + a*b where {rule}, and the registered flag ovf is set to 1 if this addition
        exceeded {acc_w} bits (it stays 1 until the next rst or clr); if en is low both hold. The
        product a*b is the full {2 * width}-bit unsigned product, and acc and ovf are registers whose
        values change only at rising edges.
    """
    body = code(f"""
        wire [{2 * width - 1}:0] prod = a * b;
        wire [{acc_w}:0] total = {{1'b0, acc}} + {{{lit(guard + 1, 0)}, prod}};

        always @(posedge clk) begin
            if (rst || clr) begin
                acc <= {lit(acc_w, 0)};
                ovf <= 1'b0;
            end else if (en) begin
                {update}
                ovf <= ovf | total[{acc_w}];
            end
        end
    """)
    port_list = ports({"en": 1, "clr": 1, "a": width, "b": width}, {"acc": acc_w, "ovf": 1}, clocked=True)
    params: Params = {"width": width, "guard": guard, "overflow": overflow}
    return design("mac", params, spec, port_list, body, regs={"acc", "ovf"}, stimulus={"en": 0.7, "clr": 0.03})


def build_shift_register(width: int, direction: str, load: str) -> VerilogDesign:
    """Shift register with serial in/out; "parallel" variants add a synchronous parallel load."""
    if direction == "left":
        shifted, out_bit = f"{{q[{width - 2}:0], sin}}", f"q[{width - 1}]"
        move = f"left (sin enters q[0], q[{width - 1}] is shifted out)"
    else:
        shifted, out_bit = f"{{sin, q[{width - 1}:1]}}", "q[0]"
        move = f"right (sin enters q[{width - 1}], q[0] is shifted out)"
    inputs, stimulus = {"en": 1, "sin": 1}, {"en": 0.8}
    load_if = load_q = ""
    load_spec = "else if en is high"
    if load == "parallel":
        inputs |= {"load": 1, "d": width}
        stimulus["load"] = 0.1
        load_if, load_q = "end else if (load) begin", "q <= d;"
        load_spec = "else if load is high, q takes the value of d (load has priority over en); else if en is high"
    spec = f"""
        Module `shift_register` is {sized(width)} shift register q. On each rising edge of clk: if rst
        is high, q becomes 0; {load_spec}, q shifts {move}; otherwise q holds. The output q is the
        register itself and sout is combinational, equal to {out_bit} (the bit that will leave next).
    """
    body = code(f"""
        assign sout = {out_bit};

        always @(posedge clk) begin
            if (rst) begin
                q <= {lit(width, 0)};
            {load_if}
                {load_q}
            end else if (en) begin
                q <= {shifted};
            end
        end
    """)
    port_list = ports(inputs, {"q": width, "sout": 1}, clocked=True)
    params: Params = {"width": width, "direction": direction, "load": load}
    return design("shift_register", params, spec, port_list, body, regs={"q"}, stimulus=stimulus)


ALU = Family("alu", grid(width=(4, 8, 12, 16, 24, 32), opset=tuple(ALU_OPSETS), encoding=("natural", "reversed")),
             build_alu)
BARREL_SHIFTER = Family("barrel_shifter", grid(width=(4, 8, 16, 32, 64), op=("sll", "srl", "sra", "rol", "ror"),
                                               registered=("no", "yes")), build_barrel_shifter)
PIPE_ADDER = Family("pipe_adder", grid(width=(8, 12, 16, 24, 32, 48, 64), stages=(1, 2, 3, 4)), build_pipe_adder)
MAC = Family("mac", grid(width=(4, 6, 8, 12, 16), guard=(0, 1, 2), overflow=("wrap", "saturate")), build_mac)
SHIFT_REGISTER = Family("shift_register", grid(width=(2, 4, 8, 12, 16, 32), direction=("left", "right"),
                                               load=("serial", "parallel")), build_shift_register)
