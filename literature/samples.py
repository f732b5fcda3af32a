"""The known content of the generated test literature: listings (with the verdict a correct reading
must get), prose, and register/pin tables, arranged into documents of pages.

Every listing here was checked with its front end when written; `valid=False` ones carry a real
defect (a missing semicolon, an unclosed brace) so the verifier has something to reject. The prose
is ordinary datasheet/application-note wording.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    language: str
    text: str
    valid: bool = True


@dataclass(frozen=True)
class Prose:
    text: str
    heading: bool = False


@dataclass(frozen=True)
class Table:
    kind: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Element = Code | Prose | Table

COUNTER_V = Code("verilog", """\
module counter #(parameter W = 8) (
    input  wire         clk,
    input  wire         rst,
    input  wire         en,
    output reg  [W-1:0] q
);
    always @(posedge clk) begin
        if (rst)
            q <= {W{1'b0}};
        else if (en)
            q <= q + 1'b1;
    end
endmodule""")

GPIO_C = Code("embedded_c", """\
#include <stdint.h>

#define GPIOA_ODR (*(volatile uint32_t *)0x40020014u)

void led_toggle(uint32_t pin)
{
    GPIOA_ODR ^= (1u << pin);
}""")

CRC_PY = Code("python", """\
def crc8(data: bytes, poly: int = 0x07) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            if crc & 0x80:
                crc = ((crc << 1) ^ poly) & 0xFF
            else:
                crc = (crc << 1) & 0xFF
    return crc""")

FSM_SV = Code("systemverilog", """\
module handshake (
    input  logic clk, rst_n, req,
    output logic ack
);
    typedef enum logic [1:0] {IDLE, BUSY, DONE} state_t;
    state_t state;
    always_ff @(posedge clk or negedge rst_n) begin
        if (!rst_n) state <= IDLE;
        else case (state)
            IDLE: if (req) state <= BUSY;
            BUSY: state <= DONE;
            default: state <= IDLE;
        endcase
    end
    assign ack = (state == DONE);
endmodule""")

DFF_VHDL = Code("vhdl", """\
library ieee;
use ieee.std_logic_1164.all;

entity dff is
    port (clk, d : in std_logic; q : out std_logic);
end entity;

architecture rtl of dff is
begin
    process (clk)
    begin
        if rising_edge(clk) then
            q <= d;
        end if;
    end process;
end architecture;""")

DELAY_ASM = Code("asm_arm", """\
    .syntax unified
    .thumb
    .global delay
delay:
    subs  r0, r0, #1
    bne   delay
    bx    lr""")

BROKEN_V = Code("verilog", """\
module mux2 (input wire a, b, sel, output wire y);
    assign y = sel ? b : a
endmodule""", valid=False)

RING_C = Code("c", """\
#include <stddef.h>

struct ring { unsigned char buf[64]; size_t head, tail; };

int ring_push(struct ring *r, unsigned char byte)
{
    size_t next = (r->head + 1) % sizeof r->buf;
    if (next == r->tail)
        return -1;
    r->buf[r->head] = byte;
    r->head = next;
    return 0;
}""")

SAXPY_CU = Code("cuda", """\
__global__ void saxpy(int n, float a, const float *x, float *y)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] = a * x[i] + y[i];
}""")

BROKEN_C = Code("c", """\
int clamp(int v, int lo, int hi)
{
    if (v < lo) return lo;
    if (v > hi) return hi;
    return v;""", valid=False)

BUILD_SH = Code("shell", """\
verilator --cc --exe --build -Wall counter.v sim_main.cpp
obj_dir/Vcounter +trace""")

EXIT_ASM = Code("asm_x86", """\
    .globl _start
    .text
_start:
    movq  $60, %rax
    xorq  %rdi, %rdi
    syscall""")

ADD_TRITON = Code("triton", """\
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(axis=0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, x + y, mask=mask)""")

REGISTERS = Table("register", ("Offset", "Register", "Bits", "Access", "Reset", "Description"), (
    ("0x00", "CTRL", "31:0", "RW", "0x00000000", "Enable and mode bits"),
    ("0x04", "STATUS", "7:0", "RO", "0x01", "Ready and overflow flags"),
    ("0x08", "COUNT", "15:0", "RO", "0x0000", "Current counter value"),
    ("0x0C", "RELOAD", "15:0", "RW", "0xFFFF", "Value loaded on overflow"),
))

PINS = Table("pin", ("Pin", "Name", "Type", "Function"), (
    ("1", "VDD", "P", "Supply 3.3 V"),
    ("2", "CLK", "I", "Counter clock input"),
    ("3", "RST_N", "I", "Active-low reset"),
    ("4", "IRQ", "O", "Overflow interrupt"),
    ("5", "GND", "P", "Ground"),
))

INTRO = Prose(
    "The CNT8 peripheral is a synchronous up-counter with a programmable reload value. It counts rising "
    "edges of the system clock while the enable input is high and raises an interrupt on overflow. "
    "Listing 1 gives the reference RTL of the counting core."
)
DRIVER = Prose(
    "Firmware drives the status LED through the output data register of port A. The function below "
    "toggles one pin; the register address is taken from the memory map of the device."
)
REGMAP = Prose("The register map of the peripheral is listed below. All registers are 32 bits wide.")
PINOUT = Prose("Package pinout (SOT-23-5). Unused inputs must be tied to ground.")
CHECKSUM = Prose("Configuration frames are protected by a CRC-8 checksum computed as follows.")
APPNOTE = Prose(
    "This application note shows a request/acknowledge handshake in SystemVerilog and the equivalent "
    "storage element in VHDL. Both were checked with open-source simulators."
)
ASM_NOTE = Prose("A busy-wait delay for Cortex-M cores, and two small examples in C and Verilog.")
GPU_NOTE = Prose(
    "The SAXPY kernel computes y = a * x + y with one thread per element. Launch it with enough "
    "blocks of 256 threads to cover the vector."
)
TOOL_NOTE = Prose("Build and run the simulation, then inspect a Linux exit stub and a Triton kernel.")

# name -> pages; each page is a list of elements, top to bottom.
DOCUMENTS: dict[str, list[list[Element]]] = {
    "cnt8-datasheet": [
        [Prose("CNT8 counter peripheral", heading=True), INTRO, COUNTER_V, DRIVER, GPIO_C],
        [Prose("Register map", heading=True), REGMAP, REGISTERS, PINOUT, PINS, CHECKSUM, CRC_PY],
    ],
    "handshake-appnote": [
        [Prose("AN-12: handshakes in RTL", heading=True), APPNOTE, FSM_SV, DFF_VHDL],
        [ASM_NOTE, DELAY_ASM, BROKEN_V, RING_C],
    ],
    "saxpy-note": [[Prose("GPU note: SAXPY", heading=True), GPU_NOTE, SAXPY_CU, BROKEN_C, REGISTERS]],
    "toolflow-page": [[Prose("Tool flow", heading=True), TOOL_NOTE, BUILD_SH, EXIT_ASM, ADD_TRITON]],
}
