"""C on the host, in the sandbox: reference models run for expected values, and gcc's C -> assembly.

Both are real tool runs on code that may come from a curated file, so they run in the sandbox like
any candidate. A failure is a `DraftError` carrying gcc's (or the program's) own words, trimmed: it
becomes the drop reason of the draft that needed it.
"""

from __future__ import annotations

import re

from backends.diagnostic import trim
from backends.sandbox import SandboxLimits, workspace
from synthesis.drafts import DraftError

HOST_CFLAGS = ("-std=gnu11", "-O1", "-w")
# What gcc -O2 output needs to be a self-contained asm-domain golden: the x86-64-v2 baseline the
# machines guarantee (no AVX), no calls into libc for loops/struct copies, no stack-protector
# reference to a libc symbol, no CET notes; PIE addressing (gcc's default here) stays RIP-relative.
ASM_CFLAGS = ("-O2", "-march=x86-64-v2", "-mtune=generic", "-fno-asynchronous-unwind-tables",
              "-fno-stack-protector", "-fcf-protection=none", "-fno-builtin", "-fno-tree-loop-distribute-patterns",
              "-ffreestanding")  # fmt: skip
_LIMITS = SandboxLimits(wall_s=30.0, cpu_s=30)
_NOISE = re.compile(r"^\s*\.(file|ident|cfi_\w+|section\s+\.note\.gnu\.property.*)\b.*$")


def run_program(source: str, stdin: str = "") -> str:
    """Compile `source` with the host gcc and return what the program printed."""
    with workspace(_LIMITS) as ws:
        ws.write("model.c", source)
        built = ws.run(["gcc", *HOST_CFLAGS, "-o", "model", "model.c"])
        if not built.ok:
            raise DraftError(f"reference model does not compile: {trim(built.stderr, 600)}")
        ran = ws.run(["./model"])
        if not ran.ok:
            raise DraftError(f"reference model failed (exit {ran.returncode}): {trim(ran.stderr or ran.stdout, 600)}")
        return ran.stdout


def to_assembly(source: str, syntax: str) -> str:
    """gcc -O2 -S of `source` in AT&T or Intel syntax, without the directives a reader does not need."""
    flags = ["-masm=intel"] if syntax == "intel" else []
    with workspace(_LIMITS) as ws:
        ws.write("seed.c", source)
        built = ws.run(["gcc", *ASM_CFLAGS, *flags, "-S", "-o", "seed.s", "seed.c"])
        if not built.ok:
            raise DraftError(f"seed C does not compile: {trim(built.stderr, 600)}")
        text = ws.read_text("seed.s", _LIMITS.file_size_bytes) or ""
    lines = [line for line in text.splitlines() if not _NOISE.match(line)]
    return "\n".join(lines).strip("\n") + "\n"
