"""The task instruction format every synthesized task shares: five labelled sections.

Whatever a task came from (a catalog scenario, a curated repository file, a literature snippet, a
benchmark), its instruction names the requirement, the interface constraints, the platform and
toolchain, the dependencies, and how a solution is verified -- so a policy always finds the same
things in the same place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

SECTIONS = ("Requirement", "Interface constraints", "Platform/toolchain", "Dependencies", "Verification")


@dataclass(frozen=True)
class Requirement:
    """One task's normalized statement; `render` gives the instruction text."""

    requirement: str
    interface: str
    platform: str
    dependencies: str
    verification: str

    def render(self) -> str:
        values = (self.requirement, self.interface, self.platform, self.dependencies, self.verification)
        return "\n".join(f"{name}: {' '.join(value.split())}" for name, value in zip(SECTIONS, values, strict=True))

    def with_requirement(self, text: str) -> Requirement:
        return replace(self, requirement=text)


def parse_instruction(text: str) -> dict[str, str]:
    """The sections of a rendered instruction (the inverse of `Requirement.render`)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(": ")
        if sep and name in SECTIONS:
            found[name] = value
    return found
