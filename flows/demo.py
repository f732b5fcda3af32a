"""Flow `demo`: the embedded-defaults pipeline — every stage as a subflow, on bundled data and real backends."""

from __future__ import annotations

from prefect import flow

from flows.curation import curation_flow
from flows.ecot_rollouts import ecot_rollouts_flow
from flows.icwm import icwm_rollouts_flow
from flows.literature import literature_flow
from flows.report import catalog_section, markdown_table, publish
from flows.seed_tasks import seed_tasks_flow
from flows.summary import summary
from flows.synthesis import demo_synthesis
from flows.train import icwm_train_flow
from schemas.store import ArtifactStore


@flow(name="demo")
def demo_flow(
    per_family: int | None = None, max_turns: int = 4, seed: int = 0, data_root: str | None = None
) -> str:
    """The embedded-defaults pipeline as subflows; returns the rollout run id.

    Seed tasks of every domain, verified; ECoT rollouts with the perturb policy; the bundled technical
    literature (pages, verified snippets, tables); curation of the machine's installed packages (recall,
    licenses, secrets, dedup against the seeds and the literature, refinement); seed synthesis from the
    scenario catalog, the literature snippets and the bundled sample sources (repository files); a tiny
    ICWM trained and evaluated on the rollouts' real turns (training/configs/icwm-tiny.toml), then a
    2-turn rollout of 4 tasks per domain answered by it, a quarter of its answers audited for real.

    Args:
        per_family: Seed designs per family (default: each domain's own).
        max_turns: Turns per task at most.
        seed: Seed of the fault injection and of the policy.
        data_root: Data root (default: $FORGE_DATA or ./data).
    """
    tasks_run = seed_tasks_flow(per_family=per_family, seed=seed, data_root=data_root)
    run_id = ecot_rollouts_flow(tasks_run, max_turns=max_turns, seed=seed, data_root=data_root)
    literature_run = literature_flow(data_root=data_root)
    curation_run = curation_flow(against=[tasks_run, literature_run], data_root=data_root)
    synthesis_run = demo_synthesis(seed=seed, sources_run=literature_run, data_root=data_root)
    icwm_run = icwm_train_flow([run_id], eval_max_new_tokens=32, seed=seed, data_root=data_root)
    amplified_run = icwm_rollouts_flow(tasks_run, icwm_run, mode="icwm", audit_rate=0.25, max_turns=2,
                                       max_new_tokens=32, tasks_per_domain=4, seed=seed, data_root=data_root)
    stage_runs = [tasks_run, run_id, literature_run, curation_run, synthesis_run, icwm_run, amplified_run]
    store = ArtifactStore(data_root)
    tables = summary(store, run_id)
    sections = [f"### {title}\n\n{markdown_table(columns, rows)}" for title, (columns, rows) in tables.items()]
    sections += [catalog_section(store, stage_run) for stage_run in stage_runs]
    publish("demo-summary", f"Demo: seeds `{tasks_run}` → rollouts `{run_id}`", "\n".join(sections), run_id)
    return run_id
