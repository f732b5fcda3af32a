"""A draft whose interface, harness and environment are given verbatim (already filled templates).

This is how a domain joins synthesis with no code here: its catalog entries write the harness in the
domain's own format (a testbench, a reference model, an expected transcript...), and the domain's
backend judges the seed against it like any other task.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthesis.drafts import Draft


@dataclass(frozen=True, kw_only=True)
class LiteralDraft(Draft):
    interface: str
    harness: str
    environment: dict[str, str] = field(default_factory=dict)
    seed_code: str

    @property
    def seed(self) -> str:
        return self.seed_code

    def _parts(self, code: str) -> tuple[str, str, dict[str, str]]:
        return self.interface, self.harness, dict(self.environment)
