"""The console's one trusted line: how a run ends, authenticated with a key drawn for that run.

The harness and the candidate share one image, so anything the harness can print on USART1 the
candidate can print too. The worker therefore draws a `RunKey` per run and hands it to the runtime
through the emulator (QEMU's `-device loader`, Renode's memory writes), into the 16 bytes of RAM the
linker script keeps out of the image; the runtime copies and clears them at reset, before any
candidate code runs. The key is in no file of the build, so the candidate's compile cannot
`#include` or `.incbin` it:

- the tag (64 bits) marks a sentinel as the runtime's: "@@exit <tag> <code> <digest>" after the
  harness, "@@fault <tag> <what>" from the fault handler. Only the console's last line is read as a
  sentinel, and only with this run's tag; any other "@@..." line is transcript text like the rest;
- the digest is the runtime's keyed FNV-1a-64 over every byte it sent before the exit line. The
  worker recomputes it over the console it captured, so a byte the candidate wrote on USART1, or a
  harness byte it suppressed, shows even when the text reads right.

Forging either needs the key, which the firmware could only dig out of the runtime's memory at run
time (docs/verdicts-embedded.md says what that leaves open).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from backends.embedded.device import run_key_address

FNV64_OFFSET = 0xCBF29CE484222325
FNV64_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1
_EXIT = re.compile(r"@@exit ([0-9a-f]{16}) (-?[0-9]{1,10}) ([0-9a-f]{16})")  # bounded: int() refuses 4301 digits
_FAULT = re.compile(r"@@fault ([0-9a-f]{16}) (.+)")


@dataclass(frozen=True)
class RunKey:
    """Two 64-bit secrets: `tag` (printed in every sentinel) and `seed` (of the console digest)."""

    tag: int
    seed: int

    @classmethod
    def fresh(cls) -> RunKey:
        return cls(secrets.randbits(64), secrets.randbits(64))

    def words(self) -> list[tuple[int, int]]:
        """(address, 32-bit value) for each word of the key in RAM, little-endian: tag, then seed."""
        base = run_key_address()
        values = [self.tag & 0xFFFFFFFF, self.tag >> 32, self.seed & 0xFFFFFFFF, self.seed >> 32]
        return [(base + 4 * i, value) for i, value in enumerate(values)]

    def loader_args(self) -> list[str]:
        """QEMU options that write the key into RAM before the core starts (on QEMU's command line
        only: nothing in the workspace holds it)."""
        base = run_key_address()
        loaders = [
            f"loader,addr=0x{base + at:08x},data=0x{value:016x},data-len=8"
            for at, value in ((0, self.tag), (8, self.seed))
        ]
        return [arg for loader in loaders for arg in ("-device", loader)]

    def digest(self, text: str) -> int:
        """What the runtime's digest reads after sending `text`."""
        value = FNV64_OFFSET ^ self.seed
        for byte in text.encode():
            value = ((value ^ byte) * FNV64_PRIME) & MASK64
        return value


@dataclass(frozen=True)
class Exit:
    """The harness finished: `status` is main()'s return, `body` the console before the exit line,
    `authentic` whether the runtime's digest says it sent exactly `body`."""

    status: int
    body: str
    authentic: bool


@dataclass(frozen=True)
class Fault:
    """The runtime's fault handler ran; `what` is its report without the tag."""

    what: str


def ending(console: str, key: RunKey) -> Exit | Fault | None:
    """The run's authenticated last line, or None when the console does not end with one (the
    harness never got there: a hang, a reset, a crash, or a sentinel the candidate printed)."""
    if not console.endswith("\n"):
        return None
    head, newline, last = console[:-1].rpartition("\n")
    body = head + newline
    if (done := _EXIT.fullmatch(last)) and int(done.group(1), 16) == key.tag:
        return Exit(int(done.group(2)), body, int(done.group(3), 16) == key.digest(body))
    if (fault := _FAULT.fullmatch(last)) and int(fault.group(1), 16) == key.tag:
        return Fault(fault.group(2).strip())
    return None
