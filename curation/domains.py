"""Recall step (a): extension and content-signature rules, one per industrial domain.

A rule fires when a file's suffix is one of the domain's and one of its signatures occurs, or when
one of its `standalone` signatures occurs whatever the suffix (things no other kind of file says,
such as `@triton.jit` or `#pragma HLS`). Rules are kept strict on purpose: precision first, and the
classifier (step b) learns from their positives to recall what they miss.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

# Only the head of a file is matched: signatures sit near the top, and it bounds the cost.
HEAD_CHARS = 64 * 1024
_M = re.MULTILINE


@dataclass(frozen=True)
class DomainRule:
    domain: str
    suffixes: tuple[str, ...]
    signatures: tuple[re.Pattern[str], ...]
    standalone: tuple[re.Pattern[str], ...] = field(default=())


def _re(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, _M) for p in patterns)


_MCU_HEADERS = r"stm32\w*|core_c[mr]\d+\w*|cmsis\w*|nrf5?\w*|avr/io|msp430\w*|LPC\w+|sam[dehl]\w*|esp32\w*|" \
               r"gd32\w*|rp2040\w*|hardware/\w+|system_\w+|arm_math"

RULES: tuple[DomainRule, ...] = (
    DomainRule("verilog", (".v", ".vh", ".sv", ".svh", ".vlib", ".vams"),
               _re(r"^\s*(module|macromodule|primitive|interface|package|program|discipline|nature)\s+\\?\w+",
                   r"\bend(module|primitive|interface|package|program|discipline|nature)\b")),
    # C/C++ around an HDL simulator: Verilator harnesses and runtime, VPI/PLI and DPI code, SystemC.
    DomainRule("verilog", (".c", ".cc", ".cpp", ".h", ".hpp"),
               _re(r"^\s*#\s*include\s*[<\"](verilated\w*|vpi_user|sv_vpi_user|acc_user|veriuser|svdpi|systemc)(\.h)?[>\"]",
                   r"\b(vpiHandle|svBitVecVal|VerilatedContext|sc_module)\b")),
    DomainRule("vhdl", (".vhd", ".vhdl"), _re(r"(?i)^\s*entity\s+\w+\s+is\b", r"(?i)^\s*architecture\s+\w+\s+of\b")),
    DomainRule("cuda", (".cu", ".cuh"), _re(r"__(global|device|shared|host)__", r"\bcuda\w+\s*\(", r"#include"),
               _re(r"__global__\s+void\s+\w+\s*\(", r"<<<[^>]+>>>\s*\(")),
    DomainRule("cuda", (".h", ".hpp", ".hh", ".inl"), _re(r"\b__(device|global|host)__\b", r"\bcuda\w+_t\b")),
    DomainRule("triton", (".py",), _re(r"^\s*@triton\.(jit|autotune|heuristics)", r"\btl\.(load|store|program_id)\("),
               _re(r"^\s*@triton\.jit\b")),
    DomainRule("hls", (".c", ".cc", ".cpp", ".h", ".hpp"),
               _re(r"^\s*#pragma\s+HLS\b", r"\bap_u?int<\d+>", r"\bhls::stream<"), _re(r"^\s*#pragma\s+HLS\b")),
    DomainRule("embedded_c", (".c", ".h", ".cc", ".cpp"),
               _re(rf"^\s*#\s*include\s*[<\"]({_MCU_HEADERS})\.h[>\"]", r"\b__IO\s+uint(8|16|32)_t\b",
                   r"\(\s*\*\s*\(\s*volatile\s+uint(8|16|32)_t\s*\*\s*\)\s*0x[0-9A-Fa-f]{6,8}",
                   r"\bNVIC_(EnableIRQ|SetPriority)\b", r"\b__attribute__\s*\(\(\s*section\s*\(\s*\"\.isr_vector")),
    DomainRule("linker_script", (".ld", ".lds"), _re(r"^\s*SECTIONS\b", r"^\s*MEMORY\b"),
               _re(r"^\s*OUTPUT_(ARCH|FORMAT)\s*\(", r"^\s*ENTRY\s*\(\s*\w+\s*\)\s*$")),
    DomainRule("cadquery", (".py",), _re(r"^\s*(import\s+cadquery|from\s+cadquery\b)", r"\bcq\.Workplane\(",
                                         r"^\s*from\s+OCP\.\w+\s+import\b"),
               _re(r"\bcq\.Workplane\(")),
    DomainRule("assembly", (".s", ".S", ".asm"),
               _re(r"^\s*\.(section|globl|global|text|data|syntax|thumb|type|align|p2align|cfi_startproc)\b",
                   r"^\s*\w+:\s*$")),
    DomainRule("constraints", (".sdc", ".xdc", ".pcf", ".lpf", ".qsf", ".ucf"),
               _re(r"\b(create_clock|set_property|set_input_delay|set_output_delay|set_false_path|set_io|"
                   r"LOCATE\s+COMP|set_location_assignment|NET\s+\"?\w+)")),
    DomainRule("synthesis_script", (".ys", ".tcl", ".do", ".xpr"),
               _re(r"^\s*(synth\w*|read_verilog|read_vhdl|abc9?|techmap|dfflibmap|opt(_clean|_expr|_merge)?|launch_runs|create_project|"
                   r"add_files|vlog|vcom|vsim|design\s+-\w+|hierarchy\s+-)\b")),
)


@dataclass(frozen=True)
class RuleMatch:
    domain: str
    reason: str


def _suffix(path: str) -> str:
    suffix = PurePosixPath(path).suffix
    return suffix if suffix == ".S" else suffix.lower()


def match_rules(path: str, content: str) -> RuleMatch | None:
    """The first rule that fires on this file, with why; None when no rule does."""
    head, suffix = content[:HEAD_CHARS], _suffix(path)
    for rule in RULES:
        for pattern in rule.standalone:
            found = pattern.search(head)
            if found:
                return RuleMatch(rule.domain, f"signature {found.group(0).strip()[:60]!r}")
        if suffix in rule.suffixes:
            for pattern in rule.signatures:
                found = pattern.search(head)
                if found:
                    return RuleMatch(rule.domain, f"extension {suffix} + signature {found.group(0).strip()[:60]!r}")
    return None
