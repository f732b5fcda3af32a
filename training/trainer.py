"""The training loop every launcher runs: one process per device, data-parallel when there are several.

It knows nothing of how it was started: the launcher (`training/launcher.py`) gives it the resolved
configuration, its rank and the world size (the process group already initialised by torchrun or Ray
Train when world > 1). It resumes from the newest complete checkpoint in the output directory,
continuing the same seeded batch order at the step it stopped, and registers every checkpoint in
`training_runs`. Throughput is measured after `TIMING_WARMUP` steps (allocator and kernel warm-up
stay out), on the device clock (synchronised before each reading): tokens/s counts target and
prompt tokens that are not padding; MFU is those tokens' model FLOPs per second over the peak rate.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from training import checkpoint as ckpt
from training.batches import Encoded, collate, encode_rows, epoch_batches, read_rows
from training.config import TrainConfig
from training.model import build_model, matmul_params, peak_flops, train_flops_per_token
from training.registry import register
from training.tokenizer import load_tokenizer

log = logging.getLogger(__name__)
TIMING_WARMUP = 5
TOKENIZER_DIR = "tokenizer"
SUMMARY_FILE = "summary.json"
Report = Callable[[dict[str, float]], None]


@dataclass
class Meter:
    """Running totals between two log lines, and for the timed part of the whole job."""

    loss_sum: float | torch.Tensor = 0.0
    loss_steps: int = 0
    tokens: int = 0
    flops: float = 0.0
    seconds: float = 0.0
    last_loss: float = math.nan
    totals: dict[str, float] = field(default_factory=lambda: {"tokens": 0.0, "flops": 0.0, "seconds": 0.0})


def device_for(config: TrainConfig, rank: int) -> torch.device:
    if config.launch.use_gpu and torch.cuda.is_available():
        index = rank % torch.cuda.device_count()
        torch.cuda.set_device(index)
        return torch.device("cuda", index)
    return torch.device("cpu")


def _schedule(optimizer: torch.optim.Optimizer, config: TrainConfig) -> torch.optim.lr_scheduler.LambdaLR:
    warmup, total = max(1, config.optim.warmup_steps), max(1, config.optim.steps)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _setup(config: TrainConfig, device: torch.device) -> tuple[Any, Any, list[Encoded], Any, Any, int]:
    """Tokenizer, model, encoded data, optimizer and scheduler, resumed from the newest checkpoint."""
    torch.manual_seed(config.optim.seed)
    resume = ckpt.latest(config.output)
    tokenizer = load_tokenizer(resume.path if resume else config.output / TOKENIZER_DIR)
    if resume:
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(resume.path, local_files_only=True, attn_implementation="sdpa")
    else:
        model = build_model(config.model, tokenizer)
    model.to(device).train()
    encoded = encode_rows(read_rows(config.data.path, config.data.split), tokenizer, config.model.max_length)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.optim.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.optim.lr, betas=(0.9, 0.95), fused=device.type == "cuda",
    )
    scheduler = _schedule(optimizer, config)
    step = 0
    if resume:
        state = ckpt.load_state(resume, device)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step = state["step"]
        log.info("resuming %s from %s (step %d)", config.name, resume.path, step)
    return tokenizer, model, encoded, optimizer, scheduler, step


def _all_sum(values: list[float], device: torch.device) -> list[float]:
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    torch.distributed.all_reduce(tensor)
    return tensor.tolist()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _summary(meter: Meter, model: Any, config: TrainConfig, device: torch.device, world: int) -> dict[str, float]:
    tokens, flops, seconds = (meter.totals[k] for k in ("tokens", "flops", "seconds"))
    summary = {
        "loss": meter.last_loss,
        "params": float(sum(p.numel() for p in model.parameters())),
        "matmul_params": float(matmul_params(model)),
        "tokens_per_s": tokens / seconds if seconds else 0.0,
        "timed_s": seconds,
        "world_size": float(world),
    }
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    peak = peak_flops(name, config.launch.peak_tflops)
    if peak and seconds:
        summary["mfu"] = flops / seconds / (peak * world)
        summary["model_tflops_per_s"] = flops / seconds / 1e12
    return summary


def _step(
    model: Any, batch: dict[str, torch.Tensor], config: TrainConfig, device: torch.device, optimizer: Any
) -> torch.Tensor:
    """One optimizer step; the loss stays on the device (reading it every step would stall the GPU)."""
    bf16 = device.type == "cuda" and config.optim.precision == "bf16"
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        loss = model(**batch).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), config.optim.grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.detach()


def train(config: TrainConfig, rank: int = 0, world_size: int = 1, report: Report | None = None) -> dict[str, float]:
    """Train to `config.optim.steps`; returns the summary (rank 0 also writes `summary.json`)."""
    done = ckpt.latest(config.output)
    if done is not None and done.step >= config.optim.steps and (config.output / SUMMARY_FILE).exists():
        log.info("%s: already trained to step %d (%s)", config.name, done.step, done.path)
        return json.loads((config.output / SUMMARY_FILE).read_text())
    device = device_for(config, rank)
    tokenizer, model, encoded, optimizer, scheduler, step = _setup(config, device)
    core = model
    if world_size > 1:
        ids = [device.index] if device.type == "cuda" else None
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
    lengths = [len(e.input_ids) for e in encoded]
    per_epoch = len(epoch_batches(lengths, config.optim.batch_size, config.optim.seed, 0, rank, world_size))
    meter, start = Meter(), step
    _sync(device)
    clock = time.perf_counter()
    while step < config.optim.steps:
        epoch, offset = divmod(step, per_epoch)
        for indices in epoch_batches(lengths, config.optim.batch_size, config.optim.seed, epoch, rank, world_size)[
            offset:
        ]:
            batch = collate([encoded[i] for i in indices], tokenizer.pad_token_id)
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            meter.loss_sum = meter.loss_sum + _step(model, batch, config, device, optimizer)
            meter.loss_steps += 1
            scheduler.step()
            step += 1
            if step - start > TIMING_WARMUP:
                tokens = int(batch["attention_mask"].sum())
                meter.tokens += tokens
                meter.flops += tokens * train_flops_per_token(core, batch["input_ids"].shape[1])
            elif step - start == TIMING_WARMUP:
                _sync(device)
                clock = time.perf_counter()
            last = step >= config.optim.steps
            saving = step % config.launch.save_every == 0 or last
            if saving or step % config.launch.log_every == 0:
                clock = _log(meter, step, config, device, clock, start)
            if saving:
                metrics = _summary(meter, core, config, device, world_size)
                _save(config, core, tokenizer, optimizer, scheduler, step, metrics, rank, world_size, report)
                _sync(device)
                clock = time.perf_counter()  # the save's disk time is not training time
            if last:
                break
    summary = {**_summary(meter, core, config, device, world_size), "steps": float(step)}
    summary["examples"] = float(len(encoded))
    if rank == 0:
        (config.output / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, sort_keys=True))
    return summary


def _log(meter: Meter, step: int, config: TrainConfig, device: torch.device, clock: float, start: int) -> float:
    _sync(device)
    now = time.perf_counter()
    timed = step - start > TIMING_WARMUP
    values = [float(meter.loss_sum), meter.loss_steps, meter.tokens, meter.flops]
    loss_sum, loss_steps, tokens, flops = _all_sum(values, device)
    meter.last_loss = loss_sum / max(1, loss_steps)
    if timed:
        for key, value in (("tokens", tokens), ("flops", flops), ("seconds", now - clock)):
            meter.totals[key] += value
    rate = tokens / (now - clock) if timed and now > clock else 0.0
    log.info("%s step %d/%d loss %.4f tokens/s %.0f", config.name, step, config.optim.steps, meter.last_loss, rate)
    meter.loss_sum, meter.loss_steps, meter.tokens, meter.flops = 0.0, 0, 0, 0.0
    return now


def _save(
    config: TrainConfig, model: Any, tokenizer: Any, optimizer: Any, scheduler: Any, step: int,
    metrics: dict[str, float], rank: int, world: int, report: Report | None,
) -> None:
    """Rank 0 writes and registers the checkpoint; every rank reports (Ray Train wants all of them)."""
    if rank == 0:
        state = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
        info = {"name": config.name, **metrics}
        saved = ckpt.save(config.output, step, model, tokenizer, state, info, config.launch.keep_checkpoints)
        status = "finished" if step >= config.optim.steps else "checkpoint"
        register(config, world, str(saved.path.resolve()), step, status, metrics)
    if report is not None:
        report({**metrics, "step": float(step)})
    if world > 1:
        torch.distributed.barrier()
