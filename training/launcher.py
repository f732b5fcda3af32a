"""One launcher for every training job: a local process, `torchrun` on one node, or Ray Train.

`launch(config)` prepares the output directory (resolved `config.json`, and the tokenizer: trained
once on the training texts, or a base checkpoint's extended), then starts the same loop
(`training.trainer.train`) one of three ways:

- `local`: in this process, on one device;
- `torchrun`: `python -m torch.distributed.run --standalone --nproc-per-node N -m training.launcher
  --worker <config.json>` — N processes on this node, NCCL on GPUs, gloo on CPUs;
- `ray`: a Ray Train `TorchTrainer` with N workers (`use_gpu` from the config) on the cluster
  `RAY_ADDRESS` names (an embedded one otherwise). The output directory must be storage every node
  sees (NFS, a mounted bucket): checkpoints are written there by rank 0 and resumed from there.
  Ray Train waits until the cluster can place every worker: actors holding the resources (the
  execution pools of `flows.runtime`) must be released first, as `flows/train.py` does.

Every way ends with the same `summary.json` and the same `training_runs` rows, and a relaunch with
the same configuration resumes from the newest checkpoint. `python -m training.launcher CONFIG.toml
[key=value ...]` runs a job from the command line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from flows.options import key_values
from training.batches import read_rows, render_pair
from training.config import TrainConfig, load_config
from training.tokenizer import extend_tokenizer, load_tokenizer, train_tokenizer
from training.trainer import SUMMARY_FILE, TOKENIZER_DIR, train

log = logging.getLogger(__name__)
CONFIG_FILE = "config.json"


def _training_texts(config: TrainConfig) -> list[str]:
    """What the tokenizer learns from: SFT rows' message contents, ICWM rows' prompts and targets."""
    texts: list[str] = []
    for row in read_rows(config.data.path, config.data.split):
        if "messages" in row:
            texts += [m["content"] for m in json.loads(row["messages"])]
        else:
            texts += [row["prompt"], row["target"]]
    return texts


def prepare(config: TrainConfig) -> Path:
    """Write `config.json` and the tokenizer (unless a previous launch did); returns the config path."""
    config.output.mkdir(parents=True, exist_ok=True)
    path = config.output / CONFIG_FILE
    path.write_text(json.dumps(config.to_dict(), indent=2, sort_keys=True))
    tokenizer_dir = config.output / TOKENIZER_DIR
    if not (tokenizer_dir / "tokenizer.json").exists():
        if config.model.base:
            tokenizer = extend_tokenizer(load_tokenizer(config.model.base))
        else:
            tokenizer = train_tokenizer(_training_texts(config), config.tokenizer.vocab_size,
                                        config.tokenizer.min_frequency)
        tokenizer.save_pretrained(tokenizer_dir)
        log.info("tokenizer with %d tokens saved to %s", len(tokenizer), tokenizer_dir)
    return path


def absolute(config: TrainConfig) -> TrainConfig:
    """The configuration with its paths made absolute: Ray Train workers run in their own directory."""
    paths = {"output_dir": config.output_dir, "data.path": config.data.path, "registry": config.registry,
             "model.base": config.model.base}
    return config.with_overrides({k: str(Path(v).resolve()) if v else v for k, v in paths.items()})


def launch(config: TrainConfig) -> dict[str, float]:
    """Run (or resume) the job; returns its summary (loss, tokens/s, MFU on a GPU, steps...)."""
    config = absolute(config)
    config_path = prepare(config)
    _render_check(config)
    log.info("%s: %s launcher, %d worker(s)", config.name, config.launch.launcher, config.launch.workers)
    if config.launch.launcher == "local":
        return train(config)
    if config.launch.launcher == "torchrun":
        _torchrun(config, config_path)
    else:
        _ray(config)
    return json.loads((config.output / SUMMARY_FILE).read_text())


def _render_check(config: TrainConfig) -> None:
    """Fail before any worker starts if the first row cannot be rendered with the tokenizer."""
    render_pair(read_rows(config.data.path, config.data.split)[0], load_tokenizer(config.output / TOKENIZER_DIR))


def _torchrun(config: TrainConfig, config_path: Path) -> None:
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={config.launch.workers}",
        "-m", "training.launcher", "--worker", str(config_path),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    completed = subprocess.run(command, env=env, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"torchrun for {config.name} exited {completed.returncode}; see its output above")


def _ray_loop(loop_config: dict[str, Any]) -> None:
    """Ray Train's per-worker function: the process group is set up by Ray before it runs."""
    import ray.train

    context = ray.train.get_context()
    config = TrainConfig.from_dict(loop_config)
    train(config, context.get_world_rank(), context.get_world_size(), report=lambda m: ray.train.report(m))


def _ray(config: TrainConfig) -> None:
    import torch
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    from backends.pool import ensure_ray

    ensure_ray()
    use_gpu = config.launch.use_gpu and torch.cuda.is_available()
    trainer = TorchTrainer(
        _ray_loop,
        train_loop_config=config.to_dict(),
        scaling_config=ScalingConfig(num_workers=config.launch.workers, use_gpu=use_gpu),
        run_config=RunConfig(name=config.name, storage_path=str(config.output / "ray")),
    )
    trainer.fit()


def _worker(config_path: str) -> None:
    """One torchrun process: join the process group, train, leave."""
    import torch

    config = TrainConfig.from_dict(json.loads(Path(config_path).read_text()))
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    if world > 1:
        backend = "nccl" if config.launch.use_gpu and torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    try:
        train(config, rank, world)
    finally:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.launcher", description=__doc__.split("\n")[0])
    parser.add_argument("config", help="TOML or JSON configuration")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted overrides, e.g. optim.steps=200")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.worker:
        _worker(args.config)
        return 0
    overrides = key_values(args.overrides, "override")
    print(json.dumps(launch(load_config(args.config, overrides)), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
