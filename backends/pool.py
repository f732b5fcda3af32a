"""Ray worker pools: one pool of actors per domain, sized by the resources the domain asks for.

`ray.init()` starts an embedded cluster locally; with `RAY_ADDRESS` set the same code joins a real
one. `WorkerPool.map` returns results in submission order. An actor that dies mid-request (a crashed
toolchain, a killed node) is replaced and the request retried once; if it fails again the request
comes back as an INFRA_ERROR result — a request is never silently dropped.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections import deque
from collections.abc import Sequence

import ray
from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError, WorkerCrashedError

from backends.domain import get_domain
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.outcome import Outcome

log = logging.getLogger(__name__)

_ACTOR_LOST = (RayActorError, ActorDiedError, ActorUnavailableError, WorkerCrashedError)
MAX_ATTEMPTS = 2  # the first run and one retry on a replaced actor


def ensure_ray() -> None:
    """Start (or join, with RAY_ADDRESS) Ray once per process; no dashboard, it costs memory."""
    if not ray.is_initialized():
        ray.init(
            address=os.environ.get("RAY_ADDRESS"),
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
        )


def infra_error(request_id: str, diagnostic: str, attempts: int) -> ExecutionResult:
    """A result that says the backend broke, not the code."""
    return ExecutionResult(
        request_id=request_id, outcome=Outcome.INFRA_ERROR, diagnostic=diagnostic, duration_s=0.0, attempts=attempts
    )


@ray.remote(max_restarts=0)
class ExecutionWorker:
    """Runs requests of one domain; an exception in the backend becomes INFRA_ERROR, not a crash."""

    def __init__(self, domain: str) -> None:
        self._execute = get_domain(domain).execute

    def pid(self) -> int:
        return os.getpid()

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        try:
            return self._execute(request)
        except Exception:  # noqa: BLE001 - a backend bug is reported as data, with its traceback
            return infra_error(request.request_id, traceback.format_exc(limit=8), attempts=1)


_RAY_RESOURCE = {"num_cpus": "CPU", "num_gpus": "GPU"}


def _default_size(resources: dict[str, float]) -> int:
    """As many actors as the cluster fits by the domain's per-actor resources."""
    available = ray.cluster_resources()
    sizes = [int(available.get(_RAY_RESOURCE[name], 0) // amount) for name, amount in resources.items()]
    return max(1, min(sizes))


class PoolUnavailable(RuntimeError):
    """The cluster cannot place the pool's actors (resources taken by other pools or absent)."""


class WorkerPool:
    """A fixed number of `ExecutionWorker` actors for one domain.

    The constructor waits until every actor is placed, so a cluster without room fails here with
    the resources named, instead of `map` waiting forever.
    """

    def __init__(self, domain: str, size: int | None = None, ready_timeout_s: float = 120.0) -> None:
        ensure_ray()
        self.domain = domain
        self.resources = get_domain(domain).worker_resources
        self.size = size or _default_size(self.resources)
        self.actors = [self._spawn() for _ in range(self.size)]
        self.replaced = 0
        try:
            ray.get([actor.pid.remote() for actor in self.actors], timeout=ready_timeout_s)
        except ray.exceptions.GetTimeoutError as err:
            self.shutdown()
            raise PoolUnavailable(
                f"could not start {self.size} {domain} workers with {self.resources} each within "
                f"{ready_timeout_s:.0f} s; cluster resources {ray.cluster_resources()}, "
                f"available {ray.available_resources()}"
            ) from err

    def _spawn(self) -> ray.actor.ActorHandle:
        return ExecutionWorker.options(**self.resources).remote(self.domain)

    def _replace(self, slot: int) -> None:
        ray.kill(self.actors[slot], no_restart=True)
        self.actors[slot] = self._spawn()
        self.replaced += 1

    def map(self, requests: Sequence[ExecutionRequest]) -> list[ExecutionResult]:
        """Run every request; results in submission order, each with its attempt count."""
        results: list[ExecutionResult | None] = [None] * len(requests)
        queue: deque[tuple[int, int]] = deque((index, 1) for index in range(len(requests)))
        free = deque(range(self.size))
        pending: dict[ray.ObjectRef, tuple[int, int, int]] = {}
        while queue or pending:
            while queue and free:
                index, attempt = queue.popleft()
                slot = free.popleft()
                pending[self.actors[slot].run.remote(requests[index])] = (index, attempt, slot)
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                index, attempt, slot = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except _ACTOR_LOST as err:
                    log.warning("worker %d of %s lost on attempt %d: %s", slot, self.domain, attempt, err)
                    self._replace(slot)
                    free.append(slot)
                    if attempt < MAX_ATTEMPTS:
                        queue.appendleft((index, attempt + 1))
                    else:
                        results[index] = infra_error(requests[index].request_id, f"worker lost: {err}", attempt)
                    continue
                free.append(slot)
                results[index] = result.model_copy(update={"attempts": attempt})
        return [r for r in results if r is not None]

    def shutdown(self) -> None:
        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
