"""Ray worker pools: one pool of actors per domain, sized by the resources the domain asks for.

`ray.init()` starts an embedded cluster locally; with `RAY_ADDRESS` set the same code joins a real
one. `WorkerPool.map` returns results in submission order. A request that comes back INFRA_ERROR (the
sandbox or the backend broke, as the worker observed it: `Domain.run`) or whose actor died mid-request
(a crashed toolchain, a killed node; the actor is replaced) is retried on its own, after an
exponential backoff with jitter, up to `MAX_ATTEMPTS` executions counted in `attempts`; after that it
stays INFRA_ERROR — a request is never silently dropped, and no other request is run again for it.

The local cluster is started without the secrets of the driver's environment (API keys, tokens):
execution workers never hold them, so no candidate path can lead to them. A cluster joined through
`RAY_ADDRESS` has its own environment: start it without secrets too.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import os
import random
import re
import time
from collections import deque
from collections.abc import Iterator, Sequence

import ray
from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError, WorkerCrashedError

from backends import sandbox
from backends.domain import get_domain
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.outcome import Outcome

log = logging.getLogger(__name__)

_ACTOR_LOST = (RayActorError, ActorDiedError, ActorUnavailableError, WorkerCrashedError)
MAX_ATTEMPTS = 3  # the first run and two retries
RETRY_BACKOFF_S = 0.5  # before the second attempt; doubled for each later one, +-50% jitter
# Variables that hold credentials by their name: the policy's process needs them, workers never do.
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)


@contextlib.contextmanager
def _without_secrets() -> Iterator[None]:
    """os.environ without credentials for the duration: the processes Ray starts inherit it."""
    hidden = {name: value for name, value in os.environ.items() if SECRET_NAME.search(name)}
    for name in hidden:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(hidden)


def ensure_ray() -> None:
    """Start (or join, with RAY_ADDRESS) Ray once per process; no dashboard, it costs memory."""
    if not ray.is_initialized():
        with _without_secrets():
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


def _backoff(attempt: int) -> float:
    """Seconds before execution `attempt + 1`: exponential, jittered so retries do not stampede."""
    return RETRY_BACKOFF_S * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)


@ray.remote(max_restarts=0)
class ExecutionWorker:
    """Runs requests of one domain through `Domain.run`: nothing a candidate does raises here."""

    def __init__(self, domain: str) -> None:
        self._run = get_domain(domain).run

    def pid(self) -> int:
        return os.getpid()

    def isolation(self) -> str:
        """What will hold this worker's candidates (raises `SandboxUnavailable` when nothing can)."""
        return sandbox.describe()

    def environment(self) -> dict[str, str]:
        """This worker's environment (tests check that it holds no secret)."""
        return dict(os.environ)

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        return self._run(request)


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
            held_by = set(ray.get([actor.isolation.remote() for actor in self.actors], timeout=ready_timeout_s))
        except ray.exceptions.RayTaskError as err:  # checked at start-up: no worker runs unisolated
            self.shutdown()
            raise err.as_instanceof_cause() from None
        except ray.exceptions.GetTimeoutError as err:
            self.shutdown()
            raise PoolUnavailable(
                f"could not start {self.size} {domain} workers with {self.resources} each within "
                f"{ready_timeout_s:.0f} s; cluster resources {ray.cluster_resources()}, "
                f"available {ray.available_resources()}"
            ) from err
        log.info("%d %s workers up; candidates held by %s", self.size, domain, ", ".join(sorted(held_by)))

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
        waiting: list[tuple[float, int, int]] = []  # (when, index, attempt): retries in their backoff
        free = deque(range(self.size))
        pending: dict[ray.ObjectRef, tuple[int, int, int]] = {}
        while queue or pending or waiting:
            while waiting and waiting[0][0] <= time.monotonic():
                _, index, attempt = heapq.heappop(waiting)
                queue.append((index, attempt))
            while queue and free:
                index, attempt = queue.popleft()
                slot = free.popleft()
                pending[self.actors[slot].run.remote(requests[index])] = (index, attempt, slot)
            until_retry = max(0.0, waiting[0][0] - time.monotonic()) if waiting else None
            if not pending:
                time.sleep(until_retry or 0.0)
                continue
            done, _ = ray.wait(list(pending), num_returns=1, timeout=until_retry)
            for ref in done:
                index, attempt, slot = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except _ACTOR_LOST as err:
                    log.warning("worker %d of %s lost on attempt %d: %s", slot, self.domain, attempt, err)
                    self._replace(slot)
                    result = infra_error(requests[index].request_id, f"worker lost: {err}", attempt)
                free.append(slot)
                result = result.model_copy(update={"attempts": attempt})
                if result.outcome is Outcome.INFRA_ERROR and attempt < MAX_ATTEMPTS:
                    log.info("%s: INFRA_ERROR on attempt %d, retrying", requests[index].request_id, attempt)
                    heapq.heappush(waiting, (time.monotonic() + _backoff(attempt), index, attempt + 1))
                else:
                    results[index] = result
        return [r for r in results if r is not None]

    def shutdown(self) -> None:
        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
