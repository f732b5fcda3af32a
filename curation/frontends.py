"""The real front ends refinement checks against, one per language, and what each compares.

- Python: CPython's own parser and compiler (`ast.parse`, `compile`): nothing is executed, so it
  runs in-process; the comparison is `ast.dump` without positions.
- C / C++: gcc / g++ compile to assembly (`-S -O0`); the comparison is the assembly text without
  its `.file` / `.ident` lines: the same assembly is the same program.
- Verilog / SystemVerilog: Yosys reads the file and writes RTLIL; the comparison is the RTLIL
  without its `src` attributes (source positions).

The tools run in the sandbox (`backends/sandbox.py`): corpus code is untrusted input. Each check
returns whether the code compiled, the normalized form to compare, and the tool's own words,
trimmed (`backends.diagnostic.trim`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from backends.diagnostic import trim
from backends.sandbox import SandboxLimits, workspace

LIMITS = SandboxLimits(wall_s=30.0, cpu_s=30, file_size_bytes=16 << 20)
_ASM_NOISE = re.compile(r"^\s*\.(file|ident)\b.*$", re.MULTILINE)
_RTLIL_SRC = re.compile(r"^\s*attribute \\src .*$", re.MULTILINE)


@dataclass(frozen=True)
class FrontEndResult:
    compiled: bool
    form: str  # what two versions are compared by (AST dump, assembly, RTLIL)
    diagnostic: str


def check_python(content: str) -> FrontEndResult:
    try:
        tree = ast.parse(content)
        compile(tree, "<refine>", "exec")
    except (SyntaxError, ValueError) as err:
        return FrontEndResult(False, "", trim(f"{type(err).__name__}: {err}"))
    return FrontEndResult(True, ast.dump(tree, include_attributes=False), "")


def _run_tool(name: str, content: str, argv: list[str], output: str, noise: re.Pattern[str]) -> FrontEndResult:
    with workspace(LIMITS) as ws:
        ws.write(name, content)
        run = ws.run(argv)
        produced = ws.read_text(output, LIMITS.file_size_bytes) if run.ok else None
        if produced is None:
            return FrontEndResult(False, "", trim((run.stderr or run.stdout).strip() or f"exit {run.returncode}"))
        return FrontEndResult(True, noise.sub("", produced), "")


def check_c(content: str, cpp: bool = False) -> FrontEndResult:
    compiler, language, std = ("g++", "c++", "gnu++17") if cpp else ("gcc", "c", "gnu11")
    name = "unit.cc" if cpp else "unit.c"
    return _run_tool(name, content, [compiler, f"-std={std}", "-x", language, "-O0", "-w", "-S", "-o", "unit.s", name],
                     "unit.s", _ASM_NOISE)


def check_verilog(content: str, sv: bool = False) -> FrontEndResult:
    name = "unit.sv" if sv else "unit.v"
    script = f"read_verilog {'-sv ' if sv else ''}{name}; write_rtlil unit.il"
    return _run_tool(name, content, ["yosys", "-q", "-p", script], "unit.il", _RTLIL_SRC)


CHECKERS: dict[str, tuple[str, Callable[[str], FrontEndResult]]] = {
    "python": ("cpython ast", check_python),
    "c": ("gcc -S", check_c),
    "cpp": ("g++ -S", lambda text: check_c(text, cpp=True)),
    "verilog": ("yosys read_verilog", check_verilog),
    "systemverilog": ("yosys read_verilog -sv", lambda text: check_verilog(text, sv=True)),
}
