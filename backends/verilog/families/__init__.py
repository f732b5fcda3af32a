"""Verilog seed task families, by name: each `Family` expands its parameter grid into designs."""

from backends.verilog.design import Family
from backends.verilog.families.control import EDGE_DETECTOR, RR_ARBITER, SEQ_DETECTOR
from backends.verilog.families.counters import CLOCK_DIVIDER, COUNTER, LFSR, PWM, UPDOWN_COUNTER
from backends.verilog.families.datapath import ALU, BARREL_SHIFTER, MAC, PIPE_ADDER, SHIFT_REGISTER
from backends.verilog.families.encoders import GRAY_CODE, PRIORITY_ENCODER
from backends.verilog.families.protocols import CRC, SYNC_FIFO, UART_TX

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        COUNTER, UPDOWN_COUNTER, CLOCK_DIVIDER, PWM, LFSR,
        ALU, BARREL_SHIFTER, PIPE_ADDER, MAC, SHIFT_REGISTER,
        GRAY_CODE, PRIORITY_ENCODER,
        SEQ_DETECTOR, RR_ARBITER, EDGE_DETECTOR,
        SYNC_FIFO, CRC, UART_TX,
    )
}
