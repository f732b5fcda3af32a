"""`forge`: the command line over the flows (each subcommand runs one flow, or lists what exists)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from flows.options import key_values
from flows.settings import configure
from literature.command import add_parser as add_literature_parser
from schemas.store import ArtifactStore
from synthesis.command import add_parser as add_synthesis_parser
from training.command import add_parsers as add_training_parsers


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forge", description=__doc__)
    parser.add_argument("--data", help="data root (default: $FORGE_DATA or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="seed tasks + ECoT rollouts on embedded defaults, then the summary")
    demo.add_argument("--per-family", type=int, help="seed designs per family (default: each domain's own)")
    demo.add_argument("--max-turns", type=int, default=4)
    demo.add_argument("--seed", type=int, default=0)

    seeds = sub.add_parser("seed-tasks", help="build and verify seed tasks")
    seeds.add_argument("--domains", nargs="+", help="default: every registered domain")
    seeds.add_argument("--per-family", type=int, help="designs per family (default: each domain's own; 0 = all)")
    seeds.add_argument("--seed", type=int, default=0)
    seeds.add_argument("--run-id")
    seeds.add_argument("--force", action="store_true", help="redo even if cached")

    ecot = sub.add_parser("ecot", help="ECoT rollouts over the tasks of an earlier run")
    ecot.add_argument("--from-run", required=True, help="run id holding the tasks (see `forge runs`)")
    ecot.add_argument("--policy", default="perturb", choices=["perturb", "openai", "hf"])
    ecot.add_argument("--policy-option", action="append", default=[], metavar="KEY=VALUE",
                      help="policy constructor option, e.g. model=/path/to/checkpoint (repeatable)")
    ecot.add_argument("--max-turns", type=int, default=4)
    ecot.add_argument("--seed", type=int, default=0)
    ecot.add_argument("--run-id")
    ecot.add_argument("--force", action="store_true")

    curate = sub.add_parser("curate", help="curation: sources, repo recall, licenses, PII/secrets, dedup, refinement")
    curate.add_argument("--source", action="append", default=[], metavar="SPEC",
                        help="debian:PKG, pypi:DIST, dir:PATH, git:PATH, tar:PATH or parquet:PATH (repeatable; "
                             "default: the embedded demo corpus)")
    curate.add_argument("--max-files", type=int, default=40,
                        help="files per repository, a deterministic sample (0: all)")
    curate.add_argument("--allow", nargs="+", default=["permissive"],
                        choices=["permissive", "weak_copyleft", "copyleft", "unknown"], help="license classes kept")
    curate.add_argument("--against", nargs="+", default=[],
                        help="runs whose seed tasks / literature snippets to dedup against")
    curate.add_argument("--redact-authors", action="store_true", help="also redact author names in file headers")
    curate.add_argument("--stage", choices=["recall", "licenses", "secrets", "dedup", "refine"],
                        help="run this one stage alone on --from-run")
    curate.add_argument("--from-run", help="the earlier stage's run a single --stage reads")
    curate.add_argument("--force", action="store_true")

    add_literature_parser(sub)
    add_synthesis_parser(sub)

    summary = sub.add_parser("summary", help="print the DuckDB summary of an ECoT run")
    summary.add_argument("run_id")

    runs = sub.add_parser("runs", help="list runs: flow, parent runs, rows produced (or one run's lineage)")
    runs.add_argument("run_id", nargs="?", help="show this run: parameters, counts, ancestors, descendants")

    sql = sub.add_parser("sql", help="run a query on the DuckDB catalog (read-only) and print the result")
    sql.add_argument("query", help='e.g. "SELECT * FROM pass_rate_by_domain_turn ORDER BY ALL"')

    export = sub.add_parser("export", help="export an ECoT run's turns as chat samples for SFT")
    export.add_argument("--run", required=True, help="ECoT run id (see `forge runs`)")
    export.add_argument("--format", required=True, choices=["jsonl", "parquet"])
    export.add_argument("--out", required=True, help="output file")
    export.add_argument("--solved-only", action="store_true", help="only trajectories whose verdict is PASS")

    add_training_parsers(sub)

    server = sub.add_parser("server", help="Prefect UI on 127.0.0.1 and a process worker (what `make server` runs)")
    server.add_argument("--port", type=int, default=4200)
    server.add_argument("--pool", default="forge-local", help="process work pool of the deployments")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    store = ArtifactStore(args.data)
    root = str(store.root)
    if args.command == "runs":
        from flows.lineage import print_run, print_runs

        print_run(store, args.run_id) if args.run_id else print_runs(store)
        return 0
    if args.command == "sql":
        import duckdb

        with store.connect(read_only=True) as con:
            try:
                con.sql(args.query).show(max_rows=200, max_width=200)
            except duckdb.Error as err:
                raise SystemExit(f"query failed on {store.catalog_path}: {err}") from err
        return 0
    if args.command == "export":
        from flows.export import export_run

        report = export_run(store, args.run, args.format, Path(args.out), args.solved_only)
        skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(report.skipped.items())) or "none"
        print(f"{args.out}: {report.samples} samples from {report.trajectories} trajectories (skipped: {skipped})")
        return 0
    configure(root)
    if args.command == "server":
        from flows.server import serve

        return serve(args.port, args.pool, root)
    from flows.summary import print_summary  # flows import prefect: after `configure`, when a flow is asked for

    if args.command == "summary":
        print_summary(store, args.run_id)
        return 0
    if args.command == "demo":
        from flows.demo import demo_flow

        run_id = demo_flow(per_family=args.per_family, max_turns=args.max_turns, seed=args.seed, data_root=root)
        print_summary(store, run_id)
    elif args.command == "seed-tasks":
        from flows.seed_tasks import seed_tasks_flow

        run_id = seed_tasks_flow(args.domains, args.per_family, args.seed, args.run_id, root, args.force)
    elif args.command == "curate":
        from flows.curation import curation_flow, print_ledger_summary, stage_alone

        if args.stage:
            if not args.from_run:
                raise SystemExit("--stage needs --from-run (see `forge runs`)")
            run_id = stage_alone(args.stage, args.from_run, args.allow, args.against, args.redact_authors, root,
                                 args.force)
        else:
            run_id = curation_flow(args.source or None, args.max_files or None, args.allow, args.against,
                                   args.redact_authors, root, args.force)
            print_ledger_summary(store, run_id)
    elif args.command == "literature":
        from flows.literature import run_from_args

        run_id = run_from_args(args, root)
    elif args.command == "synthesis":
        from flows.synthesis import synthesis_flow
        from synthesis.command import flow_kwargs

        run_id = synthesis_flow(**flow_kwargs(args), data_root=root)
    elif args.command in ("train-icwm", "train-sft", "icwm-rollouts"):
        from training.command import run

        run_id = run(args, root)
        if args.command == "icwm-rollouts":
            print_summary(store, run_id)
    else:
        from flows.ecot_rollouts import ecot_rollouts_flow

        options = key_values(args.policy_option, "--policy-option")
        run_id = ecot_rollouts_flow(
            args.from_run, args.policy, options, args.max_turns, args.seed, args.run_id, root, args.force
        )
        print_summary(store, run_id)
    print(f"run id: {run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
