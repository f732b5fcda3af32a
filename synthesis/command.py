"""`forge synthesis` arguments, kept apart from the flow so the command line can be built before
Prefect is configured (flows/cli.py imports flows only after `configure`)."""

from __future__ import annotations

import argparse
from typing import Any

from flows.options import key_values
from synthesis.generate import GENERATORS, TEMPLATE
from synthesis.importers import FORMATS

ANSWERERS = ("reference", "openai", "hf")  # synthesis.qa.REFERENCE first; qa.py is not imported here (heavy)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = sub.add_parser("synthesis", help="synthesize verified tasks and QA pairs from scenarios, curated "
                            "sources and benchmark imports")  # fmt: skip
    parser.add_argument("--domains", nargs="+", help="default: every registered domain with a scenario catalog")
    parser.add_argument("--scenarios", type=int, help="catalog scenarios per domain (default: all)")
    parser.add_argument("--per-scenario", type=int, default=1, help="grid points per catalog scenario (0 = all)")
    parser.add_argument("--perturbations", type=int, default=1, help="perturbed variants per scenario (0 = none)")
    parser.add_argument("--no-migrate", action="store_true", help="no C <-> assembly migration")
    parser.add_argument("--generator", default=TEMPLATE, choices=GENERATORS, help="who writes reference code")
    parser.add_argument("--generator-option", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--answerer", default=ANSWERERS[0], choices=ANSWERERS, help="who answers QA questions")
    parser.add_argument("--answerer-option", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--no-qa", action="store_true")
    parser.add_argument("--no-mutation-check", action="store_true", help="run each golden only (~9x fewer runs)")
    parser.add_argument("--from-run", help="run holding curated files / literature snippets (see `forge runs`)")
    parser.add_argument("--sources-table", help="table of --from-run to read (default: curated_files and/or "
                        "literature_snippets; any table with columns path, language, content)")
    parser.add_argument("--sources-dir", help="directory of source files and/or *.jsonl rows")
    parser.add_argument("--benchmark", action="append", default=[], metavar="FORMAT=PATH",
                        help=f"import a benchmark ({', '.join(FORMATS)}); repeatable")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run-id")
    parser.add_argument("--force", action="store_true", help="redo even if cached")
    return parser


def flow_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """`synthesis_flow` keyword arguments from parsed `forge synthesis` arguments."""
    return {
        "domains": args.domains, "scenarios_per_domain": args.scenarios, "per_scenario": args.per_scenario or None,
        "perturbations": args.perturbations,
        "migrate": not args.no_migrate, "generator": args.generator,
        "generator_options": key_values(args.generator_option, "--generator-option"), "answerer": args.answerer,
        "answerer_options": key_values(args.answerer_option, "--answerer-option"), "qa": not args.no_qa,
        "mutation_check": not args.no_mutation_check, "sources_run": args.from_run,
        "sources_table": args.sources_table, "sources_dir": args.sources_dir,
        "benchmarks": {k: str(v) for k, v in key_values(args.benchmark, "--benchmark").items()}, "seed": args.seed,
        "run_id": args.run_id, "force": args.force,
    }  # fmt: skip
