"""The asm domain: x86-64 kernels in GNU assembler, checked and timed against gcc -O2 of a C reference.

Every kernel of every family becomes two tasks, one per assembler syntax (AT&T, and Intel with
`.intel_syntax noprefix`); the instruction states the prototype, semantics, edge cases, the memory
and ABI contract the harness enforces, and the ISA the machine guarantees.
"""

from __future__ import annotations

from backends.asm.execute import WATCHDOG_S, execute
from backends.asm.families import FAMILIES
from backends.asm.faults import MUTATORS
from backends.asm.harness import generate
from backends.asm.kernel import ISA, Kernel, Size, Syntax
from backends.asm.syntax import to_intel
from backends.domain import Domain, spread
from schemas.artifacts import Task

NAME = "asm"
SEED_STAGE = "seed_tasks"
SYNTAXES: tuple[Syntax, ...] = ("att", "intel")
_SYNTAX_NAME = {"att": "AT&T syntax", "intel": "Intel syntax: the file starts with `.intel_syntax noprefix`"}


def interface(kernel: Kernel, syntax: Syntax) -> str:
    """What the candidate must export, as assembly the candidate can start from."""
    header = [".intel_syntax noprefix"] if syntax == "intel" else []
    return "\n".join([
        *header,
        f"# {kernel.prototype()};",
        "# System V AMD64 ABI; arguments in " + ", ".join(f"{arg.name}: {reg}" for arg, reg in kernel.registers()),
        "    .text",
        f"    .globl {kernel.symbol}",
        f"    .type {kernel.symbol}, @function",
        f"{kernel.symbol}:",
    ])  # fmt: skip


def instruction(kernel: Kernel, syntax: Syntax) -> str:
    """The task statement: prototype, semantics, edge cases, contract, ISA, how it is judged."""
    sizes = " and ".join(kernel.size_names)
    arrays = ", ".join(a.name for a in kernel.arrays)
    alignment = (f"every array pointer ({arrays}) is 16-byte aligned" if kernel.align == 16
                 else f"array pointers ({arrays}) are aligned only to their element size, so SIMD loads "
                      "must tolerate any 16-byte offset")  # fmt: skip
    parts = [
        f"Write `{kernel.prototype()}` as an x86-64 function in GNU assembler ({_SYNTAX_NAME[syntax]}).",
        f"Semantics: {kernel.semantics}",
        *(f"Design: {note}" for note in kernel.notes),
        f"Edge cases: {sizes + ' may be 0; ' if sizes else ''}{alignment}. The function must not read "
        "or write outside the arrays it is given (the harness places each array against a guard page "
        "and checks the bytes around it) unless stated above.",
        "ABI: System V AMD64. Preserve rbx, rbp, r12-r15 and rsp, return with the direction flag clear "
        "and MXCSR unchanged; the upper bits of narrow integer arguments and the upper lanes of float "
        "arguments are unspecified (the harness fills them with garbage). Output must be position-"
        "independent (address data RIP-relative); the object is linked into a PIE executable and must be "
        "self-contained: no system calls and no references to symbols it does not define (libc, the harness).",
        f"ISA: {ISA}; this kernel's reference solution needs {kernel.isa}.",
        "Judging: the harness compares against a C reference on random inputs with edge cases "
        "(lengths 0, 1, around vector widths; offsets at a guard page), prints the first mismatch, "
        "then times both pinned to one core against gcc -O2 of the reference (median of repeats); a "
        "speedup counts as faster only when it exceeds the measured noise (max/min over the repeats).",
    ]
    return "\n".join(parts)


def golden(kernel: Kernel, syntax: Syntax) -> str:
    return to_intel(kernel.golden) if syntax == "intel" else kernel.golden


def task_from_kernel(kernel: Kernel, syntax: Syntax) -> Task:
    params = {k: str(v) for k, v in kernel.params.items()} | {"syntax": syntax}
    return Task(
        stage=SEED_STAGE,
        task_id=Task.make_id(NAME, kernel.family, params),
        domain=NAME,
        family=kernel.family,
        params=params,
        instruction=instruction(kernel, syntax),
        interface=interface(kernel, syntax),
        reference=golden(kernel, syntax),
        harness=generate(kernel),
        environment={
            "symbol": kernel.symbol,
            "prototype": kernel.prototype() + ";",
            "syntax": syntax,
            "isa": ISA,
            "abi": "System V AMD64",
            "alignment_bytes": str(kernel.align),
            "toolchain": "GNU as --64 -g; gcc -O2 (harness and reference), linked as PIE",
            "watchdog_s": str(WATCHDOG_S),
            "sizes": " ".join(a.name for a in kernel.args if isinstance(a, Size)),
        },
    )


def seed_tasks(per_family: int | None = None) -> list[Task]:
    """Tasks from every family; `per_family` picks that many spread evenly over kernels x syntaxes."""
    return [
        task_from_kernel(family.build(**params), syntax)
        for family in FAMILIES.values()
        for params, syntax in spread([(p, s) for p in family.grid for s in SYNTAXES], per_family)
    ]


DOMAIN = Domain(
    name=NAME, language="asm", execute=execute, seed_tasks=seed_tasks, mutators=MUTATORS, default_per_family=2
)
