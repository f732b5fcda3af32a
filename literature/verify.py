"""Snippet verification with the real front ends, inside the sandbox.

Each language maps to the front end that parses (and, where cheap, type-checks) it: Icarus Verilog
(`-t null`: parse and elaborate, `-i`: a submodule defined elsewhere in the document is no error),
GHDL's syntax check, gcc/g++/arm-none-eabi-gcc `-fsyntax-only`, nvcc's front end, the Python
compiler, GNU as and bash -n. The verdict is the tool's exit status; the message is its own
output, trimmed, with `snippet.<ext>:LINE` locations as the tools print them.

A listing in a document is often a fragment: statements without their module or function, or C
without its `#include <stdint.h>`. When the snippet fails as written and a standard context exists
for its language, it is tried once more inside that context; `context` on the result names what was
added, so "verified as written" and "verified in context" stay distinguishable. A failing snippet
keeps the message of the as-written attempt (its line numbers are the snippet's own).
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from backends.diagnostic import trim
from backends.sandbox import SandboxLimits, workspace
from literature.records import Verdict

LIMITS = SandboxLimits(wall_s=60.0, cpu_s=60, processes=64)
_C_PRELUDE = "#include <stdint.h>\n#include <stddef.h>\n#include <stdbool.h>\n"
# A function definition's head: `type name(args)` then `{` or end of line (not `if (...) {`).
_C_DEFINITION = re.compile(
    r"^(?!\s*(if|for|while|switch|return|else|do)\b)[A-Za-z_][\w\s\*]*\b\w+\s*\([^;]*\)\s*(\{.*)?$", re.MULTILINE
)


@dataclass(frozen=True)
class FrontEnd:
    """How one language is checked: file name, command, the version command, an optional context."""

    file: str
    argv: tuple[str, ...]
    version_argv: tuple[str, ...]
    context: Callable[[str], tuple[str, str] | None] | None = None  # code -> (wrapped code, description)

    @property
    def tool(self) -> str:
        return self.argv[0]


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    tool: str
    tool_version: str
    message: str
    context: str = ""


def _verilog_context(code: str) -> tuple[str, str] | None:
    if re.search(r"\bmodule\b", code):
        return None
    return f"module snippet;\n{code}\nendmodule\n", "wrapped in a module"


def _c_context(code: str) -> tuple[str, str] | None:
    prelude = "" if "#include" in code else _C_PRELUDE
    if _C_DEFINITION.search(code):
        return (prelude + code, "stdint/stddef/stdbool includes") if prelude else None
    return f"{prelude}void snippet(void) {{\n{code}\n}}\n", "wrapped in a function" + (" with includes" * bool(prelude))


def _x86_context(code: str) -> tuple[str, str] | None:
    if "%" in code or ".intel_syntax" in code:
        return None
    return f".intel_syntax noprefix\n{code}\n", "intel syntax directive"


_C = ("gcc", "-fsyntax-only", "-std=gnu11", "snippet.c")
FRONT_ENDS: dict[str, FrontEnd] = {
    "verilog": FrontEnd("snippet.v", ("iverilog", "-g2012", "-t", "null", "-i", "snippet.v"), ("iverilog", "-V"),
                        _verilog_context),
    "systemverilog": FrontEnd("snippet.sv", ("iverilog", "-g2012", "-t", "null", "-i", "snippet.sv"),
                              ("iverilog", "-V"), _verilog_context),
    "vhdl": FrontEnd("snippet.vhd", ("ghdl", "-s", "--std=08", "snippet.vhd"), ("ghdl", "--version")),
    "c": FrontEnd("snippet.c", _C, ("gcc", "--version"), _c_context),
    "embedded_c": FrontEnd("snippet.c", ("arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", *_C[1:]),
                           ("arm-none-eabi-gcc", "--version"), _c_context),
    "cpp": FrontEnd("snippet.cpp", ("g++", "-fsyntax-only", "-std=gnu++17", "snippet.cpp"), ("g++", "--version")),
    "cuda": FrontEnd("snippet.cu", ("nvcc", "--cuda", "snippet.cu", "-o", "snippet.ii"), ("nvcc", "--version")),
    # The system interpreter: the sandbox shows /usr only, not a pyenv or venv Python.
    "python": FrontEnd("snippet.py", ("/usr/bin/python3", "-m", "py_compile", "snippet.py"),
                       ("/usr/bin/python3", "--version")),
    "asm_arm": FrontEnd("snippet.s", ("arm-none-eabi-as", "-mcpu=cortex-m4", "-mthumb", "-o", "snippet.o",
                                      "snippet.s"), ("arm-none-eabi-as", "--version")),
    "asm_x86": FrontEnd("snippet.s", ("as", "--64", "-o", "snippet.o", "snippet.s"), ("as", "--version"),
                        _x86_context),
    "shell": FrontEnd("snippet.sh", ("bash", "-n", "snippet.sh"), ("bash", "--version")),
}
FRONT_ENDS["triton"] = FRONT_ENDS["cadquery"] = FRONT_ENDS["python"]


@functools.cache
def tool_version(front_end: FrontEnd) -> str:
    """The tool's first version line ("" when it is not installed): trusted command, outside the sandbox."""
    if shutil.which(front_end.tool) is None:
        return ""
    done = subprocess.run(front_end.version_argv, capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else front_end.tool


def _run(front_end: FrontEnd, code: str) -> tuple[bool, str]:
    """(accepted, the tool's own output) for one attempt, in a fresh sandbox workspace."""
    with workspace(LIMITS) as ws:
        ws.write(front_end.file, code if code.endswith("\n") else code + "\n")
        # Absolute path: the sandbox's PATH is /usr/bin:/bin, a tool may live in /usr/local.
        run = ws.run((shutil.which(front_end.tool) or front_end.tool, *front_end.argv[1:]))
    output = "\n".join(part for part in (run.stdout.strip(), run.stderr.strip()) if part)
    if run.timed_out:
        output = f"{output}\n[{front_end.tool} timed out after {LIMITS.wall_s:.0f} s]".strip()
    return run.ok, trim(output)


def verify_snippet(language: str, code: str) -> Verification:
    """The front end's verdict on `code` as written, then (if it failed) in the language's context."""
    front_end = FRONT_ENDS.get(language)
    if front_end is None:
        return Verification(Verdict.UNVERIFIABLE, "", "", f"no front end for language {language!r}")
    version = tool_version(front_end)
    if not version:
        return Verification(Verdict.UNVERIFIABLE, front_end.tool, "", f"{front_end.tool} is not installed here")
    accepted, message = _run(front_end, code)
    if accepted:
        return Verification(Verdict.VERIFIED, front_end.tool, version, message)
    wrapped = front_end.context(code) if front_end.context else None
    if wrapped is not None:
        accepted_in_context, context_message = _run(front_end, wrapped[0])
        if accepted_in_context:
            return Verification(Verdict.VERIFIED, front_end.tool, version, context_message, wrapped[1])
    return Verification(Verdict.REJECTED, front_end.tool, version, message)
