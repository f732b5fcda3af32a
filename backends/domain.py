"""What a domain package provides (DESIGN.md, "Domain packages"), and the registry of domains.

Adding a domain = a `backends/<name>/domain.py` defining `DOMAIN` plus one line in `_PACKAGES`;
flows and tasks only ever call `get_domain(name)`. Packages are imported lazily so a flow that runs
Verilog never pays for importing CadQuery or torch.
"""

from __future__ import annotations

import importlib
import logging
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from backends import sandbox, workspace_files
from backends.faults import Mutator
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Domain:
    """One industrial domain: how to run candidates, its seed tasks, and its realistic faults.

    `seed_tasks(per_family)` builds unverified tasks (at most `per_family` from each family, all when
    None); `language` names the code fence policies write; `worker_resources` sizes its Ray actors;
    `default_per_family` is how many designs per family a run takes when not told (the demo's size:
    a fast domain can afford more).
    """

    name: str
    language: str
    execute: Callable[[ExecutionRequest], ExecutionResult]
    seed_tasks: Callable[[int | None], list[Task]]
    mutators: dict[str, Mutator]
    worker_resources: dict[str, float] = field(default_factory=lambda: {"num_cpus": 1})
    default_per_family: int = 2

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        """`execute`, as workers call it: every result says what isolation held the candidate, and
        nothing the candidate does ends as an exception.

        - a workspace entry the worker refused to read (a planted link, FIFO, device) is the
          candidate's doing: SANDBOX_VIOLATION;
        - a sandbox that did not start, or cannot be had, is the infrastructure's: INFRA_ERROR;
        - any other exception is a backend bug, reported as INFRA_ERROR with its traceback (the pool
          retries it, then keeps it as the request's result: never a label, never a failed batch).
        """
        started = time.monotonic()
        held_by = ""

        def broken(outcome: Outcome, diagnostic: str) -> ExecutionResult:
            return ExecutionResult(
                request_id=request.request_id, outcome=outcome, diagnostic=diagnostic,
                duration_s=time.monotonic() - started, isolation=held_by,
            )  # fmt: skip

        try:
            held_by = sandbox.describe()
            result = self.execute(request)
        except workspace_files.UnsafeWorkspaceFile as refused:
            return broken(Outcome.SANDBOX_VIOLATION, f"the worker refused a workspace entry: {refused.strerror}")
        except (sandbox.SandboxFailure, sandbox.SandboxUnavailable) as failure:
            return broken(Outcome.INFRA_ERROR, str(failure))
        except Exception:  # noqa: BLE001 - a backend bug is reported as data, with its traceback
            log.exception("%s backend raised on %s", self.name, request.request_id)
            return broken(Outcome.INFRA_ERROR, traceback.format_exc(limit=8))
        return result.model_copy(update={"isolation": held_by})


@dataclass
class ImportReport:
    """What a benchmark reader saw: problems seen, imported, and skipped by reason. One shape for a
    domain's own reader (`backends/gpu/importer.py`) and the synthesis importers that wrap them."""

    seen: int = 0
    imported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


T = TypeVar("T")

_PACKAGES: dict[str, str] = {
    "asm": "backends.asm.domain",
    "cad": "backends.cad.domain",
    "embedded": "backends.embedded.domain",
    "gpu": "backends.gpu.domain",
    "verilog": "backends.verilog.domain",
}


def spread(items: Sequence[T], count: int | None) -> list[T]:
    """`count` items spread evenly over `items` (all of them when `count` is None or not smaller), so a
    small seed sample still covers the whole range of a family's parameter grid."""
    if count is None or count >= len(items):
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


class UnknownDomain(KeyError):
    """A domain name with no package behind it."""


def domain_names() -> list[str]:
    return sorted(_PACKAGES)


def get_domain(name: str) -> Domain:
    if name not in _PACKAGES:
        raise UnknownDomain(f"unknown domain {name!r}; known: {', '.join(domain_names())}")
    return importlib.import_module(_PACKAGES[name]).DOMAIN
