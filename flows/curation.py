"""Flow `curation`: sources -> repo recall -> license filter -> PII/secrets -> dedup -> refinement.

Each stage is a subflow with its own run id (derived from its inputs, so a rerun lands in the same
partition and is answered from the cache) that reads the previous stage's files from `from_run`:
any stage runs alone on an existing run's output (`forge curate --stage dedup --from-run ...`).
The whole flow ends with the ledger, `curation_files`: one row per input file with its domain,
license class, drop stage and reason, and dedup cluster.
"""

from __future__ import annotations

import dataclasses

from prefect import flow, task
from prefect.cache_policies import INPUTS

from curation import licenses, recall, refine, secrets, sources
from curation.dedup import DedupConfig, run_dedup
from curation.embedded import DEMO_MAX_FILES, embedded_specs
from curation.minhash import MinHashConfig
from curation.records import CURATED_TABLE, DEDUPED_TABLE, LICENSED_TABLE, RECALLED_TABLE, REDACTED_TABLE, SOURCES_TABLE
from curation.tables import decisions, ledger, read_files, reference_documents, repositories, shard_paths, write_files
from flows.lineage import record_run
from flows.report import publish_counts
from flows.runtime import shutdown_pools, with_cache
from schemas.record import content_id
from schemas.store import ArtifactStore

FLOW = "curation"
STAGES = ("sources", "recall", "licenses", "secrets", "dedup", "refine")
# stage -> the CodeFile table it writes (the next stage reads it)
OUTPUT = {"sources": SOURCES_TABLE, "recall": RECALLED_TABLE, "licenses": LICENSED_TABLE,
          "secrets": REDACTED_TABLE, "dedup": DEDUPED_TABLE, "refine": CURATED_TABLE}
INPUT = {stage: OUTPUT[STAGES[i - 1]] for i, stage in enumerate(STAGES) if i}


def stage_run_id(stage: str, *inputs: object) -> str:
    return f"cur-{stage}-{content_id(stage, *inputs)}"


def _finish(store: ArtifactStore, run_id: str, stage: str, parameters: dict, parents: list[str], counts: dict) -> dict:
    record_run(store, run_id, f"{FLOW}_{stage}", parameters, parents, counts)
    return counts


@task(cache_policy=INPUTS, persist_result=True)
def ingest_sources(specs: list[str], max_files: int | None, run_id: str, data_root: str) -> dict:
    store = ArtifactStore(data_root)
    limits = sources.SourceLimits(max_files=max_files)
    ingested = [item for spec in specs for item in sources.ingest(spec, limits)]
    files = [f for item in ingested for f in item.files]
    store.write_records([item.repository for item in ingested], run_id)
    write_files(store, SOURCES_TABLE, run_id, files)
    counts = {"sources": len(specs), "repositories": len(ingested), "files": len(files),
              **{f"skipped {k}": sum(i.repository.skipped.get(k, 0) for i in ingested)
                 for k in sorted({k for i in ingested for k in i.repository.skipped})}}
    return _finish(store, run_id, "sources", {"sources": specs, "max_files": max_files}, [], counts)


@task(cache_policy=INPUTS, persist_result=True)
def recall_stage(from_run: str, run_id: str, data_root: str) -> dict:
    store = ArtifactStore(data_root)
    files = read_files(store, INPUT["recall"], from_run)
    result = recall.recall(files)
    write_files(store, RECALLED_TABLE, run_id, result.recalled)
    outcome = {fid: (bool(step), f"{step}: {why}" if step else why) for fid, (step, why) in result.decisions.items()}
    store.write_records(decisions("recall", outcome, files), run_id)
    counts = {**result.counts, "classifier threshold": round(result.threshold or 0.0, 4)}
    return _finish(store, run_id, "recall", {"from_run": from_run}, [from_run], counts)


@task(cache_policy=INPUTS, persist_result=True)
def license_stage(from_run: str, allow: list[str], run_id: str, data_root: str) -> dict:
    store = ArtifactStore(data_root)
    files = read_files(store, INPUT["licenses"], from_run)
    result = licenses.filter_licenses(files, repositories(store, from_run),
                                      licenses.LicensePolicy(allow=frozenset(allow)))
    if result.verdicts:
        store.write_records(result.verdicts, run_id)
    write_files(store, LICENSED_TABLE, run_id, result.kept)
    kept = {f.file_id: (True, f"{f.license_spdx} ({f.license_class})") for f in result.kept}
    if files:
        outcome = kept | {file_id: (False, reason) for file_id, reason in result.dropped.items()}
        store.write_records(decisions("licenses", outcome, files), run_id)
    return _finish(store, run_id, "licenses", {"from_run": from_run, "allow": allow}, [from_run], result.counts)


@task(cache_policy=INPUTS, persist_result=True)
def secrets_stage(from_run: str, redact_authors: bool, run_id: str, data_root: str) -> dict:
    store = ArtifactStore(data_root)
    files = read_files(store, INPUT["secrets"], from_run)
    result = secrets.redact(files, secrets.SecretsConfig(redact_authors=redact_authors))
    write_files(store, REDACTED_TABLE, run_id, result.files)
    if result.redactions:
        store.write_records(result.redactions, run_id)
    outcome = {f.file_id: (True, f"{f.redactions} span(s) redacted") for f in result.files}
    if files:
        store.write_records(decisions("secrets", outcome, files), run_id)
    return _finish(store, run_id, "secrets", {"from_run": from_run, "redact_authors": redact_authors}, [from_run],
                   result.counts)


# Ray's start can time out on a loaded machine (its raylet has 30 s to register): infra, so retried.
@task(cache_policy=INPUTS, persist_result=True, retries=2, retry_delay_seconds=10)
def dedup_stage(from_run: str, against: list[str], minhash: dict, run_id: str, data_root: str) -> dict:
    from backends.pool import ensure_ray

    store = ArtifactStore(data_root)
    ensure_ray()
    shutdown_pools()  # Ray Data's tasks need the CPUs that idle execution actors hold (else they wait forever)
    config = DedupConfig(minhash=MinHashConfig(**minhash))
    outcome = run_dedup(shard_paths(store, INPUT["dedup"], from_run), store.fs,
                        reference_documents(store, against), config)
    store.write_records(outcome.rows, run_id)
    if outcome.forks:
        store.write_records(outcome.forks, run_id)
    files = read_files(store, INPUT["dedup"], from_run)
    by_doc = {r.doc_id: r for r in outcome.rows}
    write_files(store, DEDUPED_TABLE, run_id, [
        f.model_copy(update={"cluster_id": by_doc[f.file_id].cluster_id, "stage": "dedup", "parent_ids": [f.file_id]})
        for f in files if f.file_id in outcome.kept])
    why = {f.file_id: (f.file_id in outcome.kept, f"{by_doc[f.file_id].reason}: cluster {by_doc[f.file_id].cluster_id}"
                       f" (keeper {by_doc[f.file_id].keeper_id})") for f in files}
    if files:
        store.write_records(decisions("dedup", why, files), run_id)
    parameters = {"from_run": from_run, "against": against, "minhash": minhash}
    return _finish(store, run_id, "dedup", parameters, [from_run, *against], outcome.counts)


@task(cache_policy=INPUTS, persist_result=True)
def refine_stage(from_run: str, run_id: str, data_root: str) -> dict:
    store = ArtifactStore(data_root)
    files = read_files(store, INPUT["refine"], from_run)
    result = refine.refine(files)
    write_files(store, CURATED_TABLE, run_id, result.kept)
    if result.checks:
        store.write_records(result.checks, run_id)
        store.write_records(decisions("refine", {c.file_id: (c.kept, c.reason) for c in result.checks}, files), run_id)
    return _finish(store, run_id, "refine", {"from_run": from_run}, [from_run], result.counts)


def _stage_flow(stage: str, work: task, key_inputs: tuple, args: tuple, data_root: str | None, force: bool,
                run_id: str | None) -> str:
    store = ArtifactStore(data_root)
    run_id = run_id or stage_run_id(stage, *key_inputs)
    counts = with_cache(work, force)(*args, run_id, str(store.root))
    publish_counts(f"curation-{stage}", f"Curation: {stage}", counts, run_id, store)
    return run_id


@flow(name="curation_sources")
def curation_sources_flow(specs: list[str] | None = None, max_files: int | None = DEMO_MAX_FILES,
                          run_id: str | None = None, data_root: str | None = None, force: bool = False) -> str:
    """Ingest sources (default: the embedded demo corpus); returns the run id.

    Args:
        specs: Source specs (`debian:yosys`, `pypi:triton`, `dir:PATH`, `git:PATH`, `tar:PATH`,
            `parquet:PATH`); default: the embedded demo corpus (installed packages as repositories).
        max_files: Files per repository at most (a deterministic sample); None: all.
        run_id: This run's id; default: derived from the inputs, so a rerun lands in the same partition.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo the stage even if this exact run is in the cache.
    """
    specs = specs or embedded_specs(demo=True)
    return _stage_flow("sources", ingest_sources, (sorted(specs), max_files), (sorted(specs), max_files), data_root,
                       force, run_id)


@flow(name="curation_recall")
def curation_recall_flow(from_run: str, run_id: str | None = None, data_root: str | None = None,
                         force: bool = False) -> str:
    """Repo recall (rules, classifier, expansion) over the files of `from_run`.

    Args:
        from_run: The earlier stage's run whose files this stage reads (see `forge runs`).
        run_id: This run's id; default: derived from the inputs, so a rerun lands in the same partition.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo the stage even if this exact run is in the cache.
    """
    return _stage_flow("recall", recall_stage, (from_run, recall.RecallConfig()), (from_run,), data_root, force, run_id)


@flow(name="curation_licenses")
def curation_licenses_flow(from_run: str, allow: list[str] | None = None, run_id: str | None = None,
                           data_root: str | None = None, force: bool = False) -> str:
    """License detection and policy (default: permissive only) over the files of `from_run`.

    Args:
        from_run: The earlier stage's run whose files this stage reads (see `forge runs`).
        allow: License classes kept (permissive, weak_copyleft, copyleft, unknown; default: permissive).
        run_id: This run's id; default: derived from the inputs, so a rerun lands in the same partition.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo the stage even if this exact run is in the cache.
    """
    allow = sorted(allow or licenses.LicensePolicy().allow)
    return _stage_flow("licenses", license_stage, (from_run, allow), (from_run, allow), data_root, force, run_id)


@flow(name="curation_secrets")
def curation_secrets_flow(from_run: str, redact_authors: bool = False, run_id: str | None = None,
                          data_root: str | None = None, force: bool = False) -> str:
    """PII and secrets redaction over the files of `from_run`.

    Args:
        from_run: The earlier stage's run whose files this stage reads (see `forge runs`).
        redact_authors: Also redact author and holder names in file headers.
        run_id: This run's id; default: derived from the inputs, so a rerun lands in the same partition.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo the stage even if this exact run is in the cache.
    """
    return _stage_flow("secrets", secrets_stage, (from_run, redact_authors, secrets.SecretsConfig()),
                       (from_run, redact_authors), data_root, force, run_id)


@flow(name="curation_dedup")
def curation_dedup_flow(from_run: str, against: list[str] | None = None, minhash: dict | None = None,
                        run_id: str | None = None, data_root: str | None = None, force: bool = False) -> str:
    """Exact, near-duplicate, fork and cross-source dedup (Ray Data) of the files of `from_run`.

    Args:
        from_run: The earlier stage's run whose files this stage reads (see `forge runs`).
        against: Runs whose seed tasks / literature snippets are the cross-source references.
        minhash: MinHash settings (shingle size, permutations, bands, rows; see docs/curation.md).
        run_id: This run's id; default: derived from the inputs, so a rerun lands in the same partition.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo the stage even if this exact run is in the cache.
    """
    against, minhash = sorted(against or []), minhash or dataclasses.asdict(MinHashConfig())
    return _stage_flow("dedup", dedup_stage, (from_run, against, sorted(minhash.items())),
                       (from_run, against, minhash), data_root, force, run_id)


@flow(name="curation_refine")
def curation_refine_flow(from_run: str, run_id: str | None = None, data_root: str | None = None,
                         force: bool = False) -> str:
    """Formatting normalization verified by the real front ends over the files of `from_run`.

    Args:
        from_run: The earlier stage's run whose files this stage reads (see `forge runs`).
        run_id: This run's id; default: derived from the inputs, so a rerun lands in the same partition.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo the stage even if this exact run is in the cache.
    """
    return _stage_flow("refine", refine_stage, (from_run,), (from_run,), data_root, force, run_id)


@flow(name=FLOW)
def curation_flow(specs: list[str] | None = None, max_files: int | None = DEMO_MAX_FILES,
                  allow: list[str] | None = None, against: list[str] | None = None, redact_authors: bool = False,
                  data_root: str | None = None, force: bool = False) -> str:
    """All stages as subflows, then the ledger `curation_files`; returns the curation run id.

    Args:
        specs: Source specs (`debian:yosys`, `pypi:triton`, `dir:PATH`, `git:PATH`, `tar:PATH`,
            `parquet:PATH`); default: the embedded demo corpus (installed packages as repositories).
        max_files: Files per repository at most (a deterministic sample); None: all.
        allow: License classes kept (default: permissive).
        against: Runs holding seed tasks or literature snippets to deduplicate against.
        redact_authors: Also redact author and holder names in file headers.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo every stage even if cached.
    """
    store = ArtifactStore(data_root)
    root = str(store.root)
    runs = {"sources": curation_sources_flow(specs, max_files, data_root=root, force=force)}
    runs["recall"] = curation_recall_flow(runs["sources"], data_root=root, force=force)
    runs["licenses"] = curation_licenses_flow(runs["recall"], allow, data_root=root, force=force)
    runs["secrets"] = curation_secrets_flow(runs["licenses"], redact_authors, data_root=root, force=force)
    runs["dedup"] = curation_dedup_flow(runs["secrets"], against, data_root=root, force=force)
    runs["refine"] = curation_refine_flow(runs["dedup"], data_root=root, force=force)
    run_id = stage_run_id("ledger", sorted(runs.items()))
    counts = with_cache(write_ledger, force)(runs, run_id, root)
    publish_counts("curation", "Curation ledger", counts, run_id, store)
    return run_id


@task(cache_policy=INPUTS, persist_result=True)
def write_ledger(runs: dict[str, str], run_id: str, data_root: str) -> dict:
    store = ArtifactStore(data_root)
    rows = ledger(store, runs, OUTPUT)
    store.write_records(rows, run_id)
    counts = {"files": len(rows), "kept": sum(r.kept for r in rows),
              **{f"dropped at {s}": sum(r.drop_stage == s for r in rows) for s in STAGES[1:]}}
    record_run(store, run_id, FLOW, {"stage_runs": runs}, list(runs.values()), counts)
    return counts



def stage_alone(stage: str, from_run: str, allow: list[str] | None = None, against: list[str] | None = None,
                redact_authors: bool = False, data_root: str | None = None, force: bool = False) -> str:
    """One stage on the output of `from_run` (what `forge curate --stage S --from-run R` runs)."""
    flows = {
        "recall": lambda: curation_recall_flow(from_run, data_root=data_root, force=force),
        "licenses": lambda: curation_licenses_flow(from_run, allow, data_root=data_root, force=force),
        "secrets": lambda: curation_secrets_flow(from_run, redact_authors, data_root=data_root, force=force),
        "dedup": lambda: curation_dedup_flow(from_run, against, data_root=data_root, force=force),
        "refine": lambda: curation_refine_flow(from_run, data_root=data_root, force=force),
    }
    if stage not in flows:
        raise ValueError(f"unknown curation stage {stage!r}; one of {sorted(flows)} (sources: run the whole flow)")
    return flows[stage]()


def print_ledger_summary(store: ArtifactStore, run_id: str) -> None:
    """Files by domain, license class and where they were dropped, from the ledger of `run_id`."""
    from rich.console import Console
    from rich.table import Table

    with store.connect() as con:
        rows = con.execute(
            "SELECT domain, license_class, drop_stage, count(*) FROM curation_files WHERE run_id = ? "
            "GROUP BY ALL ORDER BY drop_stage, domain, license_class", [run_id]).fetchall()
    table = Table("domain", "license class", "dropped at", "files", title=f"curation_files, run {run_id}")
    for domain, license_class, stage, count in rows:
        table.add_row(domain or "-", license_class or "-", stage or "(kept)", str(count))
    Console().print(table)
