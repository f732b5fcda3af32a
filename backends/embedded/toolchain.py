"""Build a firmware image with arm-none-eabi-gcc (Debian) and read what the ELF says.

The runtime (vector table, startup, console) is the same trusted code in every image, so it is
compiled once per process. Per request one gcc invocation compiles the candidate and the harness
(keeping their objects: `-save-temps=obj`) and links them with the runtime against the STM32F407
linker script; before anything runs, the candidate's object is checked against what the harness and
the runtime own (`ownership.py`: no vector table of its own, none of their symbols used or
redefined) and the image's vector table against the runtime's.
A link that does not fit the chip's memory map ("region `RAM' overflowed by N bytes") is
RESOURCE_EXCEEDED; any other failure or refusal is a COMPILATION_ERROR with gcc's (or the gate's)
own words. Flash/RAM use comes from the ELF's section sizes, the deepest stack frame of the
candidate from gcc's -fstack-usage report; addresses a fault handler reports are turned into
`file:line` by addr2line, so a diagnostic points at the faulting line.

Every input (sources, headers, linker script, the cached runtime objects) is written before gcc runs;
what gcc left (objects, the ELF, the `.su` reports) is read back through the workspace's reads, and
addr2line runs inside the sandbox.
"""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass, field

from backends.diagnostic import trim
from backends.embedded.device import DEVICE_DIR, HEADER_FILES, LINKER_SCRIPT, RUNTIME_SOURCES
from backends.embedded.elf import Elf, MalformedElf
from backends.embedded.firmware import CANDIDATE_FILE, HARNESS_FILE
from backends.embedded.ownership import Trusted, image_violations, object_violations
from backends.sandbox import SandboxLimits, SandboxRun, Workspace, workspace
from schemas.outcome import Outcome

GCC = "arm-none-eabi-gcc"
ELF = "firmware.elf"
# Cortex-M4F with its single-precision FPU, as the F407 has; -O2 as firmware ships, so that e.g. a
# flag shared with an ISR but not `volatile` really is cached in a register.
CFLAGS: tuple[str, ...] = (
    "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-std=gnu11", "-O2", "-g",
    "-Wall", "-Wextra", "-ffunction-sections", "-fdata-sections", "-fstack-usage", "-I.",
)  # fmt: skip
LDFLAGS: tuple[str, ...] = (
    "-T", "stm32f407.ld", "-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections",
)  # fmt: skip
SOURCES: tuple[str, ...] = (CANDIDATE_FILE, HARNESS_FILE)
# gcc -save-temps=obj -o ELF keeps each source's object as <ELF>-<source>.o (and its .su likewise)
CANDIDATE_OBJECT, HARNESS_OBJECT = (f"{ELF}-{name.replace('.c', '.o')}" for name in SOURCES)
RUNTIME_OBJECTS: tuple[str, ...] = tuple(name.replace(".c", ".o") for name in RUNTIME_SOURCES)
BUILD_LIMITS = SandboxLimits(wall_s=60.0, cpu_s=60)
FLASH_SECTIONS = (".isr_vector", ".text", ".ARM.exidx", ".data")
RAM_SECTIONS = (".stack", ".data", ".bss", ".fault_stack")
_OVERFLOW = re.compile(r"region `\w+' overflowed|will not fit in region")
_STACK_USAGE = re.compile(r"^\S+:\d+:\d+:(\S+)\s+(\d+)\s+(\w+)")
_PATH = re.compile(r"(?:[^\s:()]*/)([\w.-]+\.[ch]):")


class ToolchainBroken(RuntimeError):
    """The runtime itself does not build: the toolchain is missing or broken (never the candidate's fault)."""


@dataclass(frozen=True)
class Build:
    """How the build ended: `outcome` is None when an ELF was produced."""

    outcome: Outcome | None
    diagnostic: str
    metrics: dict[str, float] = field(default_factory=dict)


@functools.cache
def gcc_version() -> str:
    done = subprocess.run([GCC, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.splitlines()[0].strip() if done.stdout else "unavailable"


def relative_paths(text: str) -> str:
    """Drop the workspace directory from paths, so `solution.c:12:` reads the same in every sandbox."""
    return _PATH.sub(r"\1:", text)


def _output(run: SandboxRun) -> str:
    return "\n".join(part for part in (run.stderr.strip(), run.stdout.strip()) if part)


def _sizes(image: Elf) -> dict[str, float]:
    sections = {s.name: s.size for s in image.sections}
    return {
        "flash_bytes": float(sum(sections.get(s, 0) for s in FLASH_SECTIONS)),
        "ram_bytes": float(sum(sections.get(s, 0) for s in RAM_SECTIONS)),
        "stack_reserved_bytes": float(sections.get(".stack", 0)),
    }


def stack_frames(ws: Workspace, count: int = 3) -> list[str]:
    """gcc's -fstack-usage lines for the candidate's functions, deepest frame first."""
    suffix = f"{CANDIDATE_FILE.removesuffix('.c')}.su"  # gcc names it after the output: firmware.elf-solution.su
    reports = [ws.read_text(name) or "" for name in ws.files() if name.endswith(suffix)]
    lines = [line for report in reports for line in report.splitlines() if _STACK_USAGE.match(line)]
    lines.sort(key=lambda line: -int(_STACK_USAGE.match(line).group(2)))  # type: ignore[union-attr]
    return [relative_paths(line).replace("\t", " ") for line in lines[:count]]


def _candidate_stack(ws: Workspace) -> dict[str, float]:
    """The deepest static frame among the candidate's functions (gcc -fstack-usage)."""
    frames = [int(_STACK_USAGE.match(line).group(2)) for line in stack_frames(ws, 1)]  # type: ignore[union-attr]
    return {"max_frame_bytes": float(max(frames, default=0))}


def stage_headers(ws: Workspace) -> None:
    for name in (*HEADER_FILES, LINKER_SCRIPT):
        ws.write(name, (DEVICE_DIR / name).read_text())


@functools.cache
def runtime_objects(defines: tuple[str, ...]) -> dict[str, bytes]:
    """The runtime's object files for one set of defines, compiled once per process."""
    with workspace(BUILD_LIMITS) as ws:
        stage_headers(ws)
        for name in RUNTIME_SOURCES:
            ws.write(name, (DEVICE_DIR / name).read_text())
        run = ws.run([GCC, *CFLAGS, *(f"-D{d}" for d in defines), "-c", *RUNTIME_SOURCES])
        objects = {name: ws.read_bytes(name, BUILD_LIMITS.file_size_bytes) or b"" for name in RUNTIME_OBJECTS}
        if not run.ok or not all(objects.values()):
            raise ToolchainBroken(f"the STM32F407 runtime does not build:\n{_output(run)}")
        return objects


@functools.cache
def _runtime_elves(defines: tuple[str, ...]) -> tuple[Elf, ...]:
    return tuple(Elf.parse(data) for data in runtime_objects(defines).values())


def _compiled(ws: Workspace, name: str) -> Elf | None:
    """An object or image gcc wrote (None when it wrote none: no candidate code runs in a build, so a
    missing file after gcc exited 0 is a lost exit status, not the candidate's doing)."""
    data = ws.read_bytes(name, BUILD_LIMITS.file_size_bytes)
    return None if data is None else Elf.parse(data)


def _refused(lines: list[str]) -> Build:
    return Build(Outcome.COMPILATION_ERROR, trim("\n".join(lines)))


def build(ws: Workspace, interface: str, defines: tuple[str, ...] = ()) -> Build:
    """Compile and link the candidate and the harness (already in the workspace, where nothing ran
    yet) into the image `ELF`, and check what the candidate's object takes from the harness. The
    objects are checked first, so a refusal is said in our words rather than as ld's duplicate."""
    stage_headers(ws)
    for name, data in runtime_objects(defines).items():
        ws.write(name, data)
    flags = [*CFLAGS, *(f"-D{d}" for d in defines), *LDFLAGS, "-save-temps=obj"]
    run = ws.run([GCC, *flags, "-o", ELF, *SOURCES, *RUNTIME_OBJECTS])
    words = relative_paths(_output(run))
    if limit := run.limit_outcome():
        return Build(limit, trim(words))
    try:
        candidate, harness = _compiled(ws, CANDIDATE_OBJECT), _compiled(ws, HARNESS_OBJECT)
        trusted = Trusted.of([harness, *_runtime_elves(defines)]) if harness else None
        if candidate and trusted and (refused := object_violations(candidate, trusted, interface)):
            return _refused(refused)
        if not run.ok:
            outcome = Outcome.RESOURCE_EXCEEDED if _OVERFLOW.search(words) else Outcome.COMPILATION_ERROR
            return Build(outcome, trim(words))
        # An image larger than the file-size limit never gets here (ld dies of SIGXFSZ): this reads it whole.
        if candidate is None or (image := _compiled(ws, ELF)) is None:
            return Build(Outcome.INFRA_ERROR, trim(f"gcc exited 0 but left no object or no {ELF}\n{words}"))
        if refused := image_violations(image):
            return _refused(refused)
    except MalformedElf as unreadable:  # e.g. more sections than ELF32's header can count
        return _refused([f"{CANDIDATE_FILE}: error: the build is not an ELF file the checks can read: {unreadable}"])
    warnings = [line for line in words.splitlines() if f"{CANDIDATE_FILE}:" in line and "warning:" in line]
    metrics = {"warnings": float(len(warnings)), **_sizes(image), **_candidate_stack(ws)}
    return Build(None, "\n".join(warnings), metrics)


def symbolize(ws: Workspace, addresses: list[int]) -> list[str]:
    """`function at file:line` for each code address, as addr2line reports it (inside the sandbox:
    it reads the candidate's ELF)."""
    if not addresses:
        return []
    run = ws.run(["arm-none-eabi-addr2line", "-f", "-e", ELF, *(f"0x{a:08x}" for a in addresses)])
    lines = relative_paths(run.stdout).splitlines()
    return [f"{fn} at {where}" for fn, where in zip(lines[0::2], lines[1::2], strict=False)]
