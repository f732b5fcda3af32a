"""What every flow shares: the artifact store, the Ray worker pools, and the batch execution task.

Retries are per request, in the worker pool (`backends/pool.py`): only a request that came back
INFRA_ERROR is run again, with backoff, and one that still does after its attempts is returned as
such (logged here; stages keep it out of labels). A batch is never rerun wholesale, so one candidate
can never fail it or make others run twice. A wrong answer from the code under test is data and is
never retried. Stage work is cached by Prefect on its inputs (the
data root among them; `flows/settings.py` keeps the cache under it).
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from typing import ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import INPUTS, NO_CACHE

from backends.pool import WorkerPool
from flows.lineage import record_run
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.outcome import Outcome
from schemas.store import ArtifactStore

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
_POOLS: dict[str, WorkerPool] = {}
WORKERS_ENV = "FORGE_WORKERS"  # actors per domain pool; default: what the cluster fits


def shutdown_pools(keep: str | None = None) -> None:
    """Release the actors of every pool but `keep`'s (their resources go back to the cluster)."""
    for domain in [d for d in _POOLS if d != keep]:
        _POOLS.pop(domain).shutdown()


def pool_for(domain: str) -> WorkerPool:
    """The domain's pool, created on first use. Each pool is sized to the whole cluster, so on a
    small one (a laptop, CI) the other domains' pools are released first; on a cluster with room
    for all of them, give `FORGE_WORKERS` a size that fits."""
    if domain not in _POOLS:
        size = int(os.environ[WORKERS_ENV]) if os.environ.get(WORKERS_ENV) else None
        if size is None:
            shutdown_pools(keep=domain)
        _POOLS[domain] = WorkerPool(domain, size)
    return _POOLS[domain]


def run_batch(requests: list[ExecutionRequest]) -> list[ExecutionResult]:
    """Execute requests of any domains through their pools; results in request order."""
    by_domain: dict[str, list[int]] = defaultdict(list)
    for index, request in enumerate(requests):
        by_domain[request.task.domain].append(index)
    results: list[ExecutionResult | None] = [None] * len(requests)
    for domain, indices in by_domain.items():
        for index, result in zip(indices, pool_for(domain).map([requests[i] for i in indices]), strict=True):
            results[index] = result
    failed = [r for r in results if r is not None and r.outcome is Outcome.INFRA_ERROR]
    for r in failed:
        last = r.diagnostic.strip().splitlines()[-1] if r.diagnostic.strip() else ""
        log.warning("%s: INFRA_ERROR after %d attempts: %s", r.request_id, r.attempts, last)
    return [r for r in results if r is not None]


execute_batch = task(name="execute_batch", cache_policy=NO_CACHE)(run_batch)


@task(cache_policy=INPUTS, persist_result=True)
def record_once(run_id: str, flow: str, parameters: dict, parents: list[str], counts: dict, data_root: str) -> None:
    """The run's lineage row, once per distinct outcome: for flows whose last step runs in the flow body
    (not inside a cached stage task), so that a rerun answered from the cache adds no second row."""
    record_run(ArtifactStore(data_root), run_id, flow, parameters, parents, counts)


def with_cache(stage: Task[P, R], force: bool) -> Task[P, R]:
    """The stage task, its cache refreshed (work redone) when `force`."""
    return stage.with_options(refresh_cache=force)
