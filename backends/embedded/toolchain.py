"""Build a firmware image with arm-none-eabi-gcc (Debian) and read what the ELF says.

The runtime (vector table, startup, console) is the same trusted code in every image, so it is
compiled once per process; per request one gcc invocation compiles the candidate and the harness
and links them with it against the STM32F407 linker script. A link that does not fit the chip's
memory map ("region `RAM' overflowed by N bytes") is RESOURCE_EXCEEDED; any other failure is a
COMPILATION_ERROR with gcc's own words. Flash/RAM use comes from the ELF's section sizes, the
deepest stack frame of the candidate from gcc's -fstack-usage report; addresses a fault handler
reports are turned into `file:line` by addr2line, so a diagnostic points at the faulting line.

Every input (sources, headers, linker script, the cached runtime objects) is written before gcc runs;
what gcc left (the ELF, the `.su` reports) is read back through the workspace's reads, and addr2line
runs inside the sandbox.
"""

from __future__ import annotations

import functools
import re
import struct
import subprocess
from dataclasses import dataclass, field

from backends.diagnostic import trim
from backends.embedded.device import DEVICE_DIR, HEADER_FILES, LINKER_SCRIPT, RUNTIME_SOURCES
from backends.embedded.firmware import CANDIDATE_FILE, HARNESS_FILE
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


def elf_sections(data: bytes) -> dict[str, int]:
    """Section name -> size, from the ELF32 section header table (what `size -A` prints). Names are
    the candidate's to choose (`__attribute__((section(...)))`), so bytes that are not UTF-8 are
    replaced rather than trusted to decode."""
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
    headers = [struct.unpack_from("<IIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    names_at = headers[shstrndx][4]
    sections = {}
    for name_offset, _type, _flags, _addr, _offset, size in headers[1:]:
        start = names_at + name_offset
        sections[data[start : data.index(b"\0", start)].decode(errors="replace")] = size
    return sections


def _sizes(image: bytes) -> dict[str, float]:
    sections = elf_sections(image)
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


def build(ws: Workspace, defines: tuple[str, ...] = ()) -> Build:
    """Compile the candidate and the harness (already in the workspace, where nothing ran yet) and
    link the image `ELF`."""
    stage_headers(ws)
    for name, data in runtime_objects(defines).items():
        ws.write(name, data)
    run = ws.run([GCC, *CFLAGS, *(f"-D{d}" for d in defines), *LDFLAGS, "-o", ELF, *SOURCES, *RUNTIME_OBJECTS])
    words = relative_paths(_output(run))
    if limit := run.limit_outcome():
        return Build(limit, trim(words))
    if not run.ok:
        outcome = Outcome.RESOURCE_EXCEEDED if _OVERFLOW.search(words) else Outcome.COMPILATION_ERROR
        return Build(outcome, trim(words))
    # An image larger than the file-size limit never gets here (ld dies of SIGXFSZ): this reads it whole.
    image = ws.read_bytes(ELF, BUILD_LIMITS.file_size_bytes)
    if image is None:  # no candidate code runs in a build and only ld writes this name: a lost exit status
        return Build(Outcome.INFRA_ERROR, trim(f"gcc exited 0 but wrote no {ELF}\n{words}"))
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
