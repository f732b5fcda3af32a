"""The synthesis stage as one function over inputs and a batch executor (no Prefect, no Ray here).

drafts (catalog scenarios, curated sources, template perturbations, C <-> assembly migrations)
-> reference code by the generator policy -> near-duplicate removal -> verification on the real
backends -> QA pairs checked by execution; plus benchmark imports, verified the same way. Every
candidate ends as a kept task or a `SynthesisDrop` with its step and reason, and the counts say
how many of each per domain.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.domain import get_domain, spread
from schemas.artifacts import ExecutionRequest, ExecutionResult, SeedCheck, Task
from synthesis.dedup import DedupConfig, near_duplicates
from synthesis.diversify import migrated, perturbed_drafts
from synthesis.drafts import Draft, DraftError
from synthesis.drafts.cfunction import TARGETS, CFunctionDraft
from synthesis.generate import TEMPLATE, Generated, generate, make_generator
from synthesis.importers import FORMAT_DOMAINS, ImporterUnavailable, import_benchmark
from synthesis.qa import REFERENCE, check_answers, make_answerer
from synthesis.questions import questions_for
from synthesis.recognize import source_drafts
from synthesis.records import STAGE, QAPair, SynthesisDrop, TaskOrigin
from synthesis.scenarios import load_catalog, scenario_drafts
from synthesis.sources import SourceDocument
from synthesis.verify import verify

log = logging.getLogger(__name__)
RunBatch = Callable[[list[ExecutionRequest]], list[ExecutionResult]]
NO_DOMAIN = "sources"  # the count key of drops that no domain could take


@dataclass(frozen=True)
class SynthesisConfig:
    """What one synthesis run does.

    `scenarios_per_domain`: catalog entries per domain, spread over the catalog (None: all).
    `per_scenario`: grid points per catalog scenario (None: all). `perturbations`: perturbed variants
    per scenario (0: none). `migrate`: C function scenarios also go to the other of asm/embedded.
    `generator`: who writes reference code (template, or a policy name with `generator_options`).
    `answerer`: who answers QA questions (reference, or a policy). `mutation_check`: verify each
    harness against injected faults too (about 9 more runs per task). `benchmarks`: (format, path)
    pairs to import.
    """

    domains: tuple[str, ...]
    scenarios_per_domain: int | None = None
    per_scenario: int | None = 1
    perturbations: int = 1
    migrate: bool = True
    generator: str = TEMPLATE
    generator_options: dict[str, Any] = field(default_factory=dict)
    answerer: str = REFERENCE
    answerer_options: dict[str, Any] = field(default_factory=dict)
    qa: bool = True
    mutation_check: bool = True
    dedup: DedupConfig = DedupConfig()
    benchmarks: tuple[tuple[str, str], ...] = ()
    seed: int = 0


@dataclass
class SynthesisOutput:
    tasks: list[Task] = field(default_factory=list)
    checks: list[SeedCheck] = field(default_factory=list)
    origins: list[TaskOrigin] = field(default_factory=list)
    drops: list[SynthesisDrop] = field(default_factory=list)
    qa: list[QAPair] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def drop(self, domain: str, origin: str, source_id: str, candidate: str, step: str, reason: str,
             outcome: str = "", diagnostic: str = "") -> None:
        self.drops.append(SynthesisDrop(stage=STAGE, parent_ids=[source_id], candidate_id=candidate,
                                        domain=domain or NO_DOMAIN, origin=origin, source_id=source_id, step=step,
                                        reason=reason, outcome=outcome, diagnostic=diagnostic))  # fmt: skip
        self.counts[f"{domain or NO_DOMAIN} dropped: {reason.split(':')[0]}"] += 1


def collect_drafts(config: SynthesisConfig, sources: Sequence[SourceDocument], out: SynthesisOutput) -> list[Draft]:
    """Every draft of this run, in dedup priority order: scenarios, sources, perturbations, migrations."""
    scenario, curated, perturbed, moved = [], [], [], []
    for domain in config.domains:
        for entry in spread(load_catalog(domain), config.scenarios_per_domain):
            try:
                scenario += scenario_drafts(entry, config.per_scenario)
                perturbed += perturbed_drafts(entry, config.perturbations, config.seed)
            except DraftError as err:
                out.drop(domain, "scenario", entry.id, entry.id, "draft", str(err))
    for document in sources:
        drafts, drops = source_drafts(document, config.domains)
        curated += drafts
        for domain, reason in drops:
            out.drop(domain, document.origin, document.id, document.id, "draft", reason)
    targets = [d for d in TARGETS if d in config.domains] if config.migrate else []
    for draft in (d for d in scenario if isinstance(d, CFunctionDraft)):
        for target in (t for t in targets if t != draft.domain):
            try:
                moved.append(migrated(draft, target))
            except DraftError as err:
                out.drop(target, "migration", draft.draft_id, draft.draft_id, "draft", str(err))
    drafts = scenario + curated + perturbed + moved
    for draft in drafts:
        out.counts[f"{draft.domain} drafts: {draft.origin}"] += 1
    return drafts


def _deduplicated(generated: list[Generated], config: DedupConfig, out: SynthesisOutput) -> list[Generated]:
    kept = []
    for domain in sorted({g.task.domain for g in generated}):
        group = [g for g in generated if g.task.domain == domain]
        verdicts = near_duplicates([(g.task.task_id, g.task.reference) for g in group], config)
        for item, duplicate_of in zip(group, verdicts, strict=True):
            if duplicate_of is None:
                kept.append(item)
            else:
                out.drop(domain, item.draft.origin, item.draft.source_id, item.task.task_id, "dedup",
                         f"near-duplicate: of {duplicate_of}")  # fmt: skip
    return kept


def synthesize(config: SynthesisConfig, sources: Sequence[SourceDocument], run_batch: RunBatch) -> SynthesisOutput:
    """Run the whole stage (see the module docstring); `run_batch` executes requests on the backends."""
    for domain in config.domains:
        get_domain(domain)  # an unknown domain fails here, before any work
    out = SynthesisOutput()
    drafts = collect_drafts(config, sources, out)
    policy = make_generator(config.generator, config.seed, config.generator_options)
    generated, failed = generate(drafts, policy)
    for draft, reason in failed:
        out.drop(draft.domain, draft.origin, draft.source_id, draft.draft_id, "draft", reason)
    for item in generated:
        out.counts[f"{item.task.domain} generated"] += 1
    candidates = _deduplicated(generated, config.dedup, out)
    log.info("synthesis: %d drafts, %d generated, %d after dedup", len(drafts), len(generated), len(candidates))
    verification = verify([c.task for c in candidates], run_batch, config.mutation_check, config.seed)
    by_id = {c.task.task_id: c.draft for c in candidates}
    for failure in verification.failed:
        draft = by_id[failure.task.task_id]
        out.drop(draft.domain, draft.origin, draft.source_id, failure.task.task_id, "verify", failure.reason,
                 failure.outcome, failure.diagnostic)  # fmt: skip
    out.tasks, out.checks = verification.kept, verification.checks
    for task in out.tasks:
        draft = by_id[task.task_id]
        out.counts[f"{task.domain} verified"] += 1
        out.origins.append(TaskOrigin(stage=STAGE, parent_ids=[draft.source_id], task_id=task.task_id,
                                      domain=task.domain, family=task.family, origin=draft.origin,
                                      source_id=draft.source_id, generator=policy.fingerprint,
                                      spec=draft.spec()))  # fmt: skip
    if config.qa and out.tasks:
        _qa(config, [(by_id[t.task_id], t) for t in out.tasks], run_batch, out)
    if config.benchmarks:
        _benchmarks(config, run_batch, out)
    return out


def _qa(config: SynthesisConfig, kept: list[tuple[Draft, Task]], run_batch: RunBatch, out: SynthesisOutput) -> None:
    questions = []
    for draft, task in kept:
        try:
            questions += questions_for(draft, task, config.seed)
        except DraftError as err:
            out.drop(task.domain, draft.origin, task.task_id, task.task_id, "qa", str(err))
    answerer = make_answerer(config.answerer, config.seed, config.answerer_options)
    out.qa, _ = check_answers(questions, answerer, run_batch)
    for pair in out.qa:
        out.counts[f"{pair.domain} qa {pair.verdict}"] += 1


def _benchmarks(config: SynthesisConfig, run_batch: RunBatch, out: SynthesisOutput) -> None:
    for name, path in config.benchmarks:
        origin = f"benchmark:{name}"
        try:
            tasks, report = import_benchmark(name, Path(path))
        except ImporterUnavailable as err:
            out.drop(FORMAT_DOMAINS[name], origin, path, path, "import", str(err))
            continue
        for reason, count in report.skipped.items():
            for _ in range(count):
                out.drop(FORMAT_DOMAINS[name], origin, path, path, "import", reason)
        verification = verify(tasks, run_batch, mutation_check=False)
        for failure in verification.failed:
            out.drop(failure.task.domain, origin, path, failure.task.task_id, "verify", failure.reason,
                     failure.outcome, failure.diagnostic)  # fmt: skip
        out.tasks += verification.kept
        out.checks += verification.checks
        for task in verification.kept:
            out.counts[f"{task.domain} imported: {name}"] += 1
            out.origins.append(TaskOrigin(stage=STAGE, parent_ids=task.parent_ids, task_id=task.task_id,
                                          domain=task.domain, family=task.family, origin=origin, source_id=path,
                                          generator=f"benchmark:{name}", spec="{}"))  # fmt: skip
