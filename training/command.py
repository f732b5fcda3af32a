"""The `forge train-icwm`, `forge train-sft` and `forge icwm-rollouts` subcommands. Kept apart from the
flows: the CLI builds its parser before Prefect is configured, and `flows/train.py` imports Prefect."""

from __future__ import annotations

import argparse

from flows.options import key_values


def add_parsers(sub: argparse._SubParsersAction) -> None:
    train_icwm = sub.add_parser("train-icwm", help="train and evaluate an ICWM on the real turns of ECoT runs")
    train_icwm.add_argument("--from-run", nargs="+", required=True, help="ECoT run ids (see `forge runs`)")
    train_icwm.add_argument("--config", help="training TOML (default: training/configs/icwm-tiny.toml)")
    train_icwm.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                            help="configuration override, e.g. optim.steps=700 (repeatable)")  # fmt: skip
    train_icwm.add_argument("--reference", choices=["diff", "none"], default="diff",
                            help="show the model the diff against the golden reference (none: do not)")  # fmt: skip
    train_icwm.add_argument("--force", action="store_true", help="redo even if cached")

    train_sft = sub.add_parser("train-sft", help="SFT a policy on ECoT trajectories, then pass@1 on held-out tasks")
    train_sft.add_argument("--from-run", nargs="+", required=True, help="ECoT run ids")
    train_sft.add_argument("--config", help="training TOML (default: training/configs/sft-tiny.toml)")
    train_sft.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="configuration override")
    train_sft.add_argument("--force", action="store_true", help="redo even if cached")

    amplify = sub.add_parser("icwm-rollouts", help="ECoT rollouts with the ICWM as the backend (amplification)")
    amplify.add_argument("--from-run", required=True, help="run id holding the tasks")
    amplify.add_argument("--checkpoint", required=True, help="ICWM checkpoint directory or icwm-... training run id")
    amplify.add_argument("--mode", choices=["icwm", "hybrid"], default="icwm")
    amplify.add_argument("--threshold", type=float, default=0.9, help="hybrid: confidence under which to run for real")
    amplify.add_argument("--audit-rate", type=float, default=0.05, help="share of ICWM answers also run for real")
    amplify.add_argument("--policy", default="perturb", choices=["perturb", "openai", "hf"])
    amplify.add_argument("--policy-option", action="append", default=[], metavar="KEY=VALUE")
    amplify.add_argument("--max-turns", type=int, default=4)
    amplify.add_argument("--seed", type=int, default=0)
    amplify.add_argument("--force", action="store_true", help="redo even if cached")


def run(args: argparse.Namespace, data_root: str) -> str:
    """Run the subcommand's flow; its run id."""
    if args.command == "train-icwm":
        from flows.train import icwm_train_flow

        return icwm_train_flow(args.from_run, args.config, key_values(args.set, "--set"), reference=args.reference,
                               data_root=data_root, force=args.force)  # fmt: skip
    if args.command == "train-sft":
        from flows.train import sft_train_flow

        return sft_train_flow(args.from_run, args.config, key_values(args.set, "--set"), data_root=data_root,
                              force=args.force)  # fmt: skip
    from flows.icwm import icwm_rollouts_flow

    return icwm_rollouts_flow(
        args.from_run, args.checkpoint, args.mode, args.threshold, args.audit_rate, args.policy,
        key_values(args.policy_option, "--policy-option"), args.max_turns, args.seed, data_root=data_root,
        force=args.force,
    )  # fmt: skip
