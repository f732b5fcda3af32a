"""Protocol and buffering families: synchronous FIFO, serial CRC, UART transmitter."""

from __future__ import annotations

from backends.verilog.design import Family, VerilogDesign
from backends.verilog.families._common import Params, code, design, grid, hexlit, index_bits, lit, ports, vec


def build_sync_fifo(width: int, depth: int, mode: str) -> VerilogDesign:
    """Single-clock FIFO; "registered" dout updates on a pop, "fwft" shows the head combinationally.

    Storage is not reset, so dout is gated (reset register, or 0 while empty) and never exposes it.
    """
    aw = index_bits(depth)
    cw = depth.bit_length()
    fwft = mode == "fwft"
    if fwft:
        dout_spec = ("dout is combinational (first-word fall-through): while the FIFO is not empty it "
                     "shows the oldest stored word, and it is 0 while the FIFO is empty.")
    else:
        dout_spec = ("dout is a register, reset to 0, that loads the oldest stored word (the one being "
                     "removed) on each rising edge where a pop is accepted, and otherwise holds.")
    spec = f"""
        Module `sync_fifo` is a first-in first-out buffer of {depth} words of {width} bits with a single
        clock and a synchronous active-high reset rst that empties it. On a rising edge of clk, push
        writes din if the FIFO is not full and pop removes the oldest word if the FIFO is not empty; a
        push while full is ignored even if pop is also asserted, a pop while empty is ignored even if
        push is also asserted, and an accepted push and pop in the same cycle both take effect (count
        unchanged). count ({cw} bits) is the number of stored words; full is 1 exactly when count is
        {depth} and empty is 1 exactly when count is 0 (both derived combinationally from count). {dout_spec}
    """
    body = code(f"""
        reg {vec(width)}mem [0:{depth - 1}];
        reg {vec(aw)}wr_ptr;
        reg {vec(aw)}rd_ptr;

        wire do_push = push & ~full;
        wire do_pop = pop & ~empty;

        assign full = (count == {lit(cw, depth)});
        assign empty = (count == {lit(cw, 0)});
        {f"assign dout = empty ? {lit(width, 0)} : mem[rd_ptr];" if fwft else ""}

        always @(posedge clk) begin
            if (do_push)
                mem[wr_ptr] <= din;
        end

        always @(posedge clk) begin
            if (rst) begin
                wr_ptr <= {lit(aw, 0)};
                rd_ptr <= {lit(aw, 0)};
                count <= {lit(cw, 0)};
                {"" if fwft else f"dout <= {lit(width, 0)};"}
            end else begin
                if (do_push)
                    wr_ptr <= wr_ptr + {lit(aw, 1)};
                if (do_pop) begin
                    rd_ptr <= rd_ptr + {lit(aw, 1)};
                    {"" if fwft else "dout <= mem[rd_ptr];"}
                end
                if (do_push & ~do_pop)
                    count <= count + {lit(cw, 1)};
                else if (do_pop & ~do_push)
                    count <= count - {lit(cw, 1)};
            end
        end
    """)
    port_list = ports({"push": 1, "pop": 1, "din": width},
                      {"dout": width, "full": 1, "empty": 1, "count": cw}, clocked=True)
    regs = {"count"} | (set() if fwft else {"dout"})
    params: Params = {"width": width, "depth": depth, "mode": mode}
    return design("sync_fifo", params, spec, port_list, body, regs=regs, stimulus={"push": 0.65, "pop": 0.35})


# Normal (MSB-first) generator polynomials without the x^width term.
CRC_POLYS: dict[str, tuple[int, int]] = {
    "crc4_itu": (4, 0x3), "crc5_usb": (5, 0x05), "crc5_epc": (5, 0x09), "crc6_itu": (6, 0x03),
    "crc7_mmc": (7, 0x09), "crc8_atm": (8, 0x07), "crc8_maxim": (8, 0x31), "crc8_autosar": (8, 0x2F),
    "crc10_atm": (10, 0x233), "crc11_flexray": (11, 0x385), "crc12_3gpp": (12, 0x80F),
    "crc15_can": (15, 0x4599), "crc16_ccitt": (16, 0x1021), "crc16_ibm": (16, 0x8005),
    "crc24_openpgp": (24, 0x864CFB), "crc32": (32, 0x04C11DB7),
}


def build_crc(poly: str, init: str, order: str) -> VerilogDesign:
    """Bit-serial CRC register; "lsb" order is the reflected form (shift right, reversed polynomial)."""
    width, value = CRC_POLYS[poly]
    start = 0 if init == "zeros" else (1 << width) - 1
    if order == "msb":
        mask = value
        fb = f"crc_out[{width - 1}] ^ din"
        shift = f"{{crc_out[{width - 2}:0], 1'b0}}"
        rule = (f"fb = crc_out[{width - 1}] XOR din, crc_out is shifted left by one (0 into bit 0) and, if fb is "
                f"1, XORed with the polynomial {width}'h{mask:X}")
    else:
        mask = int(f"{value:0{width}b}"[::-1], 2)
        fb = "crc_out[0] ^ din"
        shift = f"{{1'b0, crc_out[{width - 1}:1]}}"
        rule = (f"fb = crc_out[0] XOR din, crc_out is shifted right by one (0 into bit {width - 1}) and, if fb is "
                f"1, XORed with the bit-reversed polynomial {width}'h{mask:X}")
    spec = f"""
        Module `crc` is a bit-serial CRC register using the {poly} generator polynomial ({width} bits,
        {width}'h{value:X} without the x^{width} term), absorbing one message bit at a time in
        {order.upper()}-first form. Output crc_out
        is the {width}-bit CRC register itself. On each rising edge of clk: if rst or clear is high, it is
        set to the initial value {width}'h{start:X} (clear has priority over en); else if en is high, the
        bit din is absorbed: {rule}; if en is low, crc_out holds. No final XOR or reflection is applied to
        the output.
    """
    body = code(f"""
        wire fb = {fb};

        always @(posedge clk) begin
            if (rst || clear)
                crc_out <= {hexlit(width, start)};
            else if (en)
                crc_out <= {shift} ^ ({{{width}{{fb}}}} & {hexlit(width, mask)});
        end
    """)
    port_list = ports({"en": 1, "clear": 1, "din": 1}, {"crc_out": width}, clocked=True)
    params: Params = {"poly": poly, "init": init, "order": order}
    return design("crc", params, spec, port_list, body, regs={"crc_out"}, stimulus={"en": 0.8, "clear": 0.05})


def build_uart_tx(clks_per_bit: int, data_bits: int, parity: str) -> VerilogDesign:
    """8N1-style UART transmitter: start bit, LSB-first data, optional parity, one stop bit."""
    has_parity = parity != "none"
    frame = data_bits + int(has_parity) + 1  # bits after the start bit
    cw, bw = index_bits(clks_per_bit), index_bits(frame + 1)
    par_expr = {"even": "^data", "odd": "~^data"}.get(parity, "")
    load = f"{{1'b1, {par_expr}, data}}" if has_parity else "{1'b1, data}"
    parity_spec = (f"then a parity bit that makes the number of ones in data plus parity {parity}, "
                   if has_parity else "")
    total = (frame + 1) * clks_per_bit
    spec = f"""
        Module `uart_tx` is a UART transmitter with {data_bits} data bits, {parity} parity and one stop
        bit, sending each bit for exactly {clks_per_bit} clock cycles. The synchronous active-high rst
        makes the line idle: tx = 1 and busy = 0 (both are registers). When start is 1 at a rising edge
        where busy is 0, data is captured and, right after that edge, busy becomes 1 and tx starts the
        frame: the start bit (0), then data[0] up to data[{data_bits - 1}] (LSB first), {parity_spec}then
        the stop bit (1). busy returns to 0 exactly {total} cycles after the capturing edge, at the end
        of the stop bit, and tx stays 1 while idle. start is ignored while busy is 1, including at the
        edge where busy returns to 0.
    """
    body = code(f"""
        reg [{frame - 1}:0] shreg;
        reg {vec(cw)}clk_cnt;
        reg {vec(bw)}bit_cnt;

        always @(posedge clk) begin
            if (rst) begin
                tx <= 1'b1;
                busy <= 1'b0;
                shreg <= {lit(frame, 0)};
                clk_cnt <= {lit(cw, 0)};
                bit_cnt <= {lit(bw, 0)};
            end else if (!busy) begin
                if (start) begin
                    shreg <= {load};
                    tx <= 1'b0;
                    busy <= 1'b1;
                    clk_cnt <= {lit(cw, 0)};
                    bit_cnt <= {lit(bw, 0)};
                end
            end else if (clk_cnt == {lit(cw, clks_per_bit - 1)}) begin
                clk_cnt <= {lit(cw, 0)};
                if (bit_cnt == {lit(bw, frame)}) begin
                    busy <= 1'b0;
                end else begin
                    tx <= shreg[0];
                    shreg <= {{1'b0, shreg[{frame - 1}:1]}};
                    bit_cnt <= bit_cnt + {lit(bw, 1)};
                end
            end else begin
                clk_cnt <= clk_cnt + {lit(cw, 1)};
            end
        end
    """)
    port_list = ports({"start": 1, "data": data_bits}, {"tx": 1, "busy": 1}, clocked=True)
    params: Params = {"clks_per_bit": clks_per_bit, "data_bits": data_bits, "parity": parity}
    return design("uart_tx", params, spec, port_list, body, regs={"tx", "busy"}, stimulus={"start": 0.1})


SYNC_FIFO = Family("sync_fifo", grid(width=(1, 4, 8, 16, 32), depth=(2, 4, 8, 16), mode=("registered", "fwft")),
                   build_sync_fifo)
CRC = Family("crc", grid(poly=tuple(CRC_POLYS), init=("zeros", "ones"), order=("msb", "lsb")), build_crc)
UART_TX = Family("uart_tx", grid(clks_per_bit=(2, 3, 4, 6, 8), data_bits=(5, 7, 8), parity=("none", "even", "odd")),
                 build_uart_tx)
