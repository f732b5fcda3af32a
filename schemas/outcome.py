"""The outcome taxonomy shared by every domain (DESIGN.md, "Outcome taxonomy")."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What running a candidate in a real toolchain came to.

    `INFRA_ERROR` means the backend broke, not the code: it is retried and reported, and never
    becomes a training label (`is_label`).
    """

    PASS = "PASS"
    COMPILATION_ERROR = "COMPILATION_ERROR"
    RUNTIME_ERROR = "RUNTIME_ERROR"
    MEMORY_FAULT = "MEMORY_FAULT"
    TEST_FAILURE = "TEST_FAILURE"
    TIMEOUT = "TIMEOUT"
    RESOURCE_EXCEEDED = "RESOURCE_EXCEEDED"
    SANDBOX_VIOLATION = "SANDBOX_VIOLATION"
    INFRA_ERROR = "INFRA_ERROR"

    @property
    def is_label(self) -> bool:
        """True for outcomes that describe the candidate and may be learned from."""
        return self is not Outcome.INFRA_ERROR
