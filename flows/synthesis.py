"""Flow `synthesis`: verified tasks and QA pairs from scenarios, curated sources and benchmarks.

Runnable alone: curated files / literature snippets come from an earlier run's table
(`sources_run` + `sources_table`, columns path/language/content) and/or a directory
(`sources_dir`); the scenario catalog is bundled. The tasks land in table `tasks` of this run, so
`forge ecot --from-run synth-...` rolls policies out on them like on seed tasks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import INPUTS

import synthesis
from backends.domain import domain_names
from flows.lineage import record_run
from flows.report import publish_counts
from flows.runtime import execute_batch, with_cache
from schemas.record import content_id
from schemas.store import ArtifactStore
from synthesis.dedup import DedupConfig
from synthesis.pipeline import SynthesisConfig, SynthesisOutput, synthesize
from synthesis.scenarios import catalog_path
from synthesis.sources import SourceDocument, from_directory, from_jsonl, from_store, tables_in_run

FLOW = "synthesis"
SAMPLES = Path(synthesis.__file__).parent / "samples"
SAMPLE_SOURCES = SAMPLES / "sources"
SAMPLE_BENCHMARKS = {"verilogeval": str(SAMPLES / "benchmarks" / "verilogeval"),
                     "rtllm": str(SAMPLES / "benchmarks" / "rtllm")}  # fmt: skip
# The demo's share: 2 scenarios per domain, one grid point each, one perturbation, golden-only
# verification, the bundled sources and benchmark samples, QA on.
DEMO_OPTIONS: dict[str, Any] = {"scenarios_per_domain": 2, "per_scenario": 1, "perturbations": 1,
                                "mutation_check": False}  # fmt: skip


def synthesis_domains() -> list[str]:
    """Registered domains with a scenario catalog (a domain joins by adding `catalog/<name>.toml`)."""
    return [name for name in domain_names() if catalog_path(name).exists()]


def load_sources(store: ArtifactStore, sources_run: str | None, sources_table: str | None,
                 sources_dir: str | None) -> list[SourceDocument]:
    documents: list[SourceDocument] = []
    if sources_run:
        tables = [sources_table] if sources_table else tables_in_run(store, sources_run)
        if not tables:
            raise ValueError(f"run {sources_run} holds no curated_files or literature_snippets rows; name the table "
                             "(columns path, language, content) with sources_table")
        for table in tables:
            documents += from_store(store, table, sources_run)
    if sources_dir:
        path = Path(sources_dir)
        documents += from_jsonl(path) if path.is_file() else from_directory(path)
    return documents


def _digest(sources_dir: str | None) -> str:
    """Content hash of a sources directory, so editing a file there is a new run, not a cache hit."""
    if not sources_dir:
        return ""
    path = Path(sources_dir)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return content_id(*(f"{f}:{content_id(f.read_bytes())}" for f in files))


def _counts(out: SynthesisOutput) -> dict[str, Any]:
    mutants = [c for c in out.checks if c.fault_kind]
    totals: dict[str, Any] = {
        "generated": sum(v for k, v in out.counts.items() if k.endswith(" generated")),
        "verified": sum(v for k, v in out.counts.items() if k.endswith(" verified")),
        "imported": sum(v for k, v in out.counts.items() if " imported: " in k),
        "dropped": len(out.drops),
        "qa pairs": len(out.qa),
        "qa confirmed": sum(p.kept for p in out.qa),
    }
    if mutants:
        totals["mutation score"] = round(sum(c.caught for c in mutants) / len(mutants), 3)
    return totals | dict(sorted(out.counts.items()))


@task(cache_policy=INPUTS, persist_result=True)
def synthesize_tasks(parameters: dict[str, Any], run_id: str, data_root: str) -> dict[str, Any]:
    store = ArtifactStore(data_root)
    sources = load_sources(store, parameters["sources_run"], parameters["sources_table"], parameters["sources_dir"])
    config = SynthesisConfig(
        domains=tuple(parameters["domains"]), scenarios_per_domain=parameters["scenarios_per_domain"],
        per_scenario=parameters["per_scenario"],
        perturbations=parameters["perturbations"], migrate=parameters["migrate"], generator=parameters["generator"],
        generator_options=parameters["generator_options"], answerer=parameters["answerer"],
        answerer_options=parameters["answerer_options"], qa=parameters["qa"],
        mutation_check=parameters["mutation_check"], dedup=DedupConfig(),
        benchmarks=tuple(sorted(parameters["benchmarks"].items())), seed=parameters["seed"],
    )  # fmt: skip
    out = synthesize(config, sources, execute_batch)
    for records in (out.tasks, out.checks, out.origins, out.drops, out.qa):
        if records:
            store.write_records(records, run_id)
    counts = _counts(out)
    parents = [parameters["sources_run"]] if parameters["sources_run"] else []
    record_run(store, run_id, FLOW, parameters, parents, counts)
    return counts


@flow(name=FLOW)
def synthesis_flow(
    domains: list[str] | None = None,
    scenarios_per_domain: int | None = None,
    per_scenario: int | None = 1,
    perturbations: int = 1,
    migrate: bool = True,
    generator: str = "template",
    generator_options: dict | None = None,
    answerer: str = "reference",
    answerer_options: dict | None = None,
    qa: bool = True,
    mutation_check: bool = True,
    sources_run: str | None = None,
    sources_table: str | None = None,
    sources_dir: str | None = None,
    benchmarks: dict[str, str] | None = None,
    seed: int = 0,
    run_id: str | None = None,
    data_root: str | None = None,
    force: bool = False,
) -> str:
    """Synthesize, verify and store tasks and QA pairs; returns the run id.

    Args:
        domains: Domains to synthesize for (default: registered domains with a scenario catalog).
        scenarios_per_domain: Catalog scenarios per domain, spread over the catalog (None: all).
        per_scenario: Grid points per catalog scenario (None: all).
        perturbations: Template-perturbed variants per scenario (0: none).
        migrate: Also move C function scenarios between assembly and firmware.
        generator: Who writes the reference code: `template` (deterministic seeds), `openai`, `hf`, `perturb`.
        generator_options: Constructor options of a model-backed generator (endpoint, checkpoint...).
        answerer: Who answers QA questions: `reference` (independent reference methods), `openai`, `hf`.
        answerer_options: Constructor options of a model-backed answerer.
        qa: Generate and check QA pairs.
        mutation_check: Also require each harness to catch injected faults (about 9 runs per task, not 1).
        sources_run: Run holding curated files / literature snippets.
        sources_table: The table of `sources_run` to read (default: its curated_files and/or literature_snippets;
            any table with columns path, language, content works).
        sources_dir: A directory of source files and/or JSON-lines rows (or one .jsonl file).
        benchmarks: Benchmark format -> path to import (verilogeval, rtllm, kernelbench).
        seed: Seed of perturbation choices, QA inputs and fault injection.
        run_id: This run's id; default: derived from the inputs.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo even if this exact run is in the cache.
    """
    parameters = {
        "domains": sorted(domains or synthesis_domains()), "scenarios_per_domain": scenarios_per_domain,
        "per_scenario": per_scenario,
        "perturbations": perturbations, "migrate": migrate, "generator": generator,
        "generator_options": generator_options or {}, "answerer": answerer, "answerer_options": answerer_options or {},
        "qa": qa, "mutation_check": mutation_check, "sources_run": sources_run, "sources_table": sources_table,
        "sources_dir": str(Path(sources_dir).resolve()) if sources_dir else None,
        "sources_digest": _digest(sources_dir),
        "benchmarks": {k: str(Path(v).resolve()) for k, v in sorted((benchmarks or {}).items())}, "seed": seed,
    }  # fmt: skip
    run_id = run_id or f"synth-{content_id(sorted((k, str(v)) for k, v in parameters.items()))}"
    store = ArtifactStore(data_root)
    counts = with_cache(synthesize_tasks, force)(parameters, run_id, str(store.root))
    publish_counts("synthesis", "Seed synthesis", counts, run_id, store)
    return run_id


def demo_synthesis(seed: int = 0, sources_run: str | None = None, data_root: str | None = None) -> str:
    """The synthesis flow at the demo's size, on the bundled samples (see `DEMO_OPTIONS`) and the rows of
    `sources_run` (the demo's literature run)."""
    return synthesis_flow(**DEMO_OPTIONS, sources_run=sources_run, sources_dir=str(SAMPLE_SOURCES),
                          benchmarks=SAMPLE_BENCHMARKS, seed=seed,
                          data_root=data_root)
