"""Combinational code-conversion families: binary/Gray converter and priority encoder."""

from __future__ import annotations

from backends.verilog.design import Family, VerilogDesign
from backends.verilog.families._common import Params, code, design, grid, index_bits, lit, ports


def build_gray_code(width: int, direction: str) -> VerilogDesign:
    """Binary-to-Gray (one XOR level) or Gray-to-binary (an XOR chain from the MSB down)."""
    msb = width - 1
    if direction == "bin2gray":
        body = code(f"assign gray = bin ^ {{1'b0, bin[{msb}:1]}};")
        rule = (f"gray = bin XOR (bin shifted right by one), i.e. gray[{msb}] = bin[{msb}] and "
                f"gray[i] = bin[i+1] ^ bin[i] for i < {msb}")
        inputs, outputs, regs = {"bin": width}, {"gray": width}, ()
    else:
        chain = [f"bin[{msb}] = gray[{msb}];"]
        chain += [f"bin[{i}] = bin[{i + 1}] ^ gray[{i}];" for i in range(msb - 1, -1, -1)]
        body = code("always @(*) begin") + code("\n".join(chain), 2) + code("end")
        rule = (f"bin[{msb}] = gray[{msb}] and bin[i] = bin[i+1] ^ gray[i] for i from {msb - 1} down to 0, "
                f"i.e. each binary bit is the XOR of all Gray bits at or above it")
        inputs, outputs, regs = {"gray": width}, {"bin": width}, ("bin",)
    src, dst = ("binary", "Gray") if direction == "bin2gray" else ("Gray", "binary")
    binary = (1 << width) // 3 * 2  # the alternating pattern 0b1010... as a worked example
    pair = (binary, binary ^ (binary >> 1)) if direction == "bin2gray" else (binary ^ (binary >> 1), binary)
    digits = (width + 3) // 4
    spec = f"""
        Module `gray_code` is a purely combinational {width}-bit {src}-to-{dst} code converter with
        input {next(iter(inputs))} and output {next(iter(outputs))}: {rule}. For example, input
        {width}'h{pair[0]:0{digits}X} gives output {width}'h{pair[1]:0{digits}X}. There is no clock and
        no state; the output always reflects the current input.
    """
    port_list = ports(inputs, outputs, clocked=False)
    return design("gray_code", {"width": width, "direction": direction}, spec, port_list, body, regs=regs)


def build_priority_encoder(n: int, priority: str, onehot: str) -> VerilogDesign:
    """Masked N-input priority encoder with enable and valid flag, optionally the one-hot grant too.

    The mask and enable keep the outputs informative under uniform random stimulus: unmasked random
    requests almost always have one of the first few priority bits set, and some bit set at all.
    """
    iw = index_bits(n)
    order = range(n) if priority == "lsb" else range(n - 1, -1, -1)
    chain = []
    for pos, i in enumerate(order):
        keyword = "if" if pos == 0 else "else if"
        grant = f" grant = {lit(n, 1 << i)};" if onehot == "yes" else ""
        chain.append(f"{keyword} (active[{i}]) begin idx = {lit(iw, i)};{grant} end")
    defaults = [f"idx = {lit(iw, 0)};"] + ([f"grant = {lit(n, 0)};"] if onehot == "yes" else [])
    winner = "lowest" if priority == "lsb" else "highest"
    outputs = {"idx": iw, "valid": 1} | ({"grant": n} if onehot == "yes" else {})
    grant_spec = (f" The output grant is {n} bits, one-hot with only bit idx set when valid is 1, and 0 "
                  f"when valid is 0." if onehot == "yes" else "")
    spec = f"""
        Module `priority_encoder` is purely combinational, with {n}-bit inputs req and mask and an
        enable en. A request i is active when req[i] and mask[i] are both 1. The output valid is 1 when
        en is 1 and at least one request is active. When valid is 1, the {iw}-bit output idx is the
        index of the {winner}-numbered active request (bit {0 if priority == "lsb" else n - 1} has the
        highest priority); when valid is 0 (en is 0 or no request is active), idx is 0.{grant_spec}
    """
    body = code(f"""
        wire [{n - 1}:0] active = req & mask;

        assign valid = en & (|active);

        always @(*) begin
    """) + code("\n".join(defaults), 2) + code("if (en) begin", 2) + code("\n".join(chain), 3) + code("""
            end
        end
    """)
    port_list = ports({"en": 1, "req": n, "mask": n}, outputs, clocked=False)
    params: Params = {"n": n, "priority": priority, "onehot": onehot}
    regs = ("idx", "grant")
    return design("priority_encoder", params, spec, port_list, body, regs=regs, stimulus={"en": 0.8})


GRAY_CODE = Family("gray_code", grid(width=(2, 3, 4, 5, 6, 8, 10, 12, 16, 24, 32, 64),
                                     direction=("bin2gray", "gray2bin")), build_gray_code)
PRIORITY_ENCODER = Family("priority_encoder", grid(n=(3, 4, 5, 6, 8, 10, 12), priority=("lsb", "msb"),
                                                   onehot=("no", "yes")), build_priority_encoder)
