"""Flow `seed_tasks`: build each domain's seed tasks, verify them for real, store the kept ones."""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import INPUTS

from backends.domain import domain_names, get_domain
from flows.lineage import record_run
from flows.report import publish_counts
from flows.runtime import execute_batch, with_cache
from schemas.record import content_id
from schemas.store import ArtifactStore
from tasks.seed_verification import verify_seeds

FLOW = "seed_tasks"


def seed_run_id(per_family: dict[str, int], seed: int) -> str:
    """Same inputs, same run id: a rerun lands in the same partition and its parts already exist."""
    return f"seeds-{content_id(sorted(per_family.items()), seed)}"


@task(cache_policy=INPUTS, persist_result=True)
def build_and_verify(per_family: dict[str, int], seed: int, run_id: str, data_root: str) -> dict:
    """`per_family`: domain -> designs per family (0: all)."""
    store = ArtifactStore(data_root)
    tasks = [t for name, count in per_family.items() for t in get_domain(name).seed_tasks(count or None)]
    kept, checks, report = verify_seeds(tasks, execute_batch, seed)
    store.write_records(checks, run_id)
    if kept:
        store.write_records(kept, run_id)
    counts = {
        "generated": report.generated,
        "kept": report.kept,
        **{f"dropped: {reason}": n for reason, n in sorted(report.dropped.items())},
        "mutants": report.mutants,
        "mutants caught": report.caught,
        "mutation score": round(report.mutation_score, 3),
        **{f"caught: {k}": f"{report.caught_by_kind[k]}/{n}" for k, n in sorted(report.mutants_by_kind.items())},
    }
    record_run(store, run_id, FLOW, {"per_family": per_family, "seed": seed}, [], counts)
    return counts


@flow(name=FLOW)
def seed_tasks_flow(
    domains: list[str] | None = None,
    per_family: int | None = None,
    seed: int = 0,
    run_id: str | None = None,
    data_root: str | None = None,
    force: bool = False,
) -> str:
    """Seed tasks of `domains`, built and verified on the real backends; returns the run id.

    Args:
        domains: Domains to seed (default: every registered domain).
        per_family: Designs per seed family (default: each domain's own; 0: all of them).
        seed: Seed of the fault injection that measures each harness's mutation score.
        run_id: This run's id; default: derived from the inputs, so a rerun lands in the same partition.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo the verification even if this exact run is in the cache.
    """
    counts_per_family = {
        name: get_domain(name).default_per_family if per_family is None else per_family
        for name in sorted(domains or domain_names())
    }
    run_id = run_id or seed_run_id(counts_per_family, seed)
    store = ArtifactStore(data_root)
    counts = with_cache(build_and_verify, force)(counts_per_family, seed, run_id, str(store.root))
    publish_counts("seed-tasks", "Seed tasks", counts, run_id, store)
    return run_id
