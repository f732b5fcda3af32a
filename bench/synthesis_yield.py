"""Synthesis yield per domain: drafts -> generated -> verified, QA confirmation, and a dedup sweep.

Runs the stage in-process (a thread pool over the real backends, no Prefect/Ray) on the whole
catalog and the bundled samples, then prints ratio tables. Usage:

    PYTHONPATH=. .venv/bin/python bench/synthesis_yield.py [--per-scenario N] [--mutation-check] [--generator perturb]

`--generator perturb` writes each seed with injected faults: the verified share then measures how
many of those faults the harnesses catch (a verification that let everything through would show
the same share as the template generator).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from backends.domain import get_domain
from synthesis.dedup import DedupConfig, near_duplicates
from synthesis.generate import generate, make_generator
from synthesis.pipeline import SynthesisConfig, SynthesisOutput, collect_drafts, synthesize
from synthesis.sources import from_directory

SAMPLES = Path(__file__).resolve().parents[1] / "synthesis" / "samples" / "sources"
DOMAINS = ("verilog", "asm", "embedded")


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "-"


def yield_table(out: SynthesisOutput) -> None:
    print(f"{'domain':10} {'drafts':>7} {'generated':>9} {'verified':>8} {'ver/gen':>7} {'qa ok':>6} {'qa':>4} "
          f"{'ok/qa':>6} {'mut.score':>9}")  # fmt: skip
    for domain in DOMAINS:
        c = out.counts
        drafts = sum(v for k, v in c.items() if k.startswith(f"{domain} drafts: "))
        generated, verified = c[f"{domain} generated"], c[f"{domain} verified"]
        qa = [p for p in out.qa if p.domain == domain]
        mutants = [m for m in out.checks if m.domain == domain and m.fault_kind]
        score = _ratio(sum(m.caught for m in mutants), len(mutants))
        print(f"{domain:10} {drafts:7d} {generated:9d} {verified:8d} {_ratio(verified, generated):>7} "
              f"{sum(p.kept for p in qa):6d} {len(qa):4d} {_ratio(sum(p.kept for p in qa), len(qa)):>6} {score:>9}")
    reasons = Counter(f"{d.domain}/{d.step}: {d.reason.split(':')[0]}" for d in out.drops)
    for reason, count in sorted(reasons.items()):
        print(f"  dropped {count:3d}  {reason}")


def dedup_sweep(config: SynthesisConfig) -> None:
    """Near-duplicates among generated candidates at several thresholds (no execution)."""
    drafts = collect_drafts(config, from_directory(SAMPLES), SynthesisOutput())
    generated, _ = generate(drafts, make_generator("template"))
    print(f"\n{'threshold':>9} " + " ".join(f"{d:>9}" for d in DOMAINS) + "   (near-duplicates / candidates)")
    for threshold in (0.7, 0.8, 0.9, 0.95):
        cells = []
        for domain in DOMAINS:
            items = [(g.task.task_id, g.task.reference) for g in generated if g.task.domain == domain]
            dups = sum(v is not None for v in near_duplicates(items, DedupConfig(threshold=threshold)))
            cells.append(f"{dups:>4d}/{len(items):<4d}")
        print(f"{threshold:9.2f} " + " ".join(f"{c:>9}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-scenario", type=int, default=0, help="grid points per scenario (0 = all)")
    parser.add_argument("--perturbations", type=int, default=2)
    parser.add_argument("--mutation-check", action="store_true")
    parser.add_argument("--generator", default="template")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    config = SynthesisConfig(domains=DOMAINS, per_scenario=args.per_scenario or None, perturbations=args.perturbations,
                             generator=args.generator, mutation_check=args.mutation_check)  # fmt: skip
    with ThreadPoolExecutor(args.workers) as pool:
        started = time.monotonic()
        out = synthesize(config, from_directory(SAMPLES),
                         lambda requests: list(pool.map(lambda r: get_domain(r.task.domain).execute(r), requests)))
        elapsed = time.monotonic() - started
    print(f"synthesis of the whole catalog + samples: {elapsed:.0f} s wall, {len(out.checks)} verification runs, "
          f"{len(out.qa)} QA checks, generator {args.generator}\n")
    yield_table(out)
    dedup_sweep(config)


if __name__ == "__main__":
    main()
