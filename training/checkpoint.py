"""Checkpoints a training job resumes from: `<output_dir>/checkpoint-<step>/`.

Each holds the model (`save_pretrained`, so the `hf` policy and the ICWM backend load it directly),
the tokenizer, `trainer_state.pt` (optimizer, scheduler, step, RNG states) and copies of the output
directory's sidecar files (`icwm.json`: what the ICWM backend needs beside the weights). A checkpoint is
written to a temporary directory and renamed, so a job killed mid-save resumes from the previous
one; the newest complete one is the resume point. Older ones beyond `keep` are deleted.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

STATE_FILE = "trainer_state.pt"
INFO_FILE = "checkpoint.json"
SIDECARS = ("icwm.json",)  # files of the output directory every checkpoint carries (ICWM metadata)
_NAME = re.compile(r"^checkpoint-(\d+)$")


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    step: int


def checkpoints(output_dir: Path) -> list[Checkpoint]:
    """Complete checkpoints (those with a state file), oldest first."""
    found = []
    for path in output_dir.glob("checkpoint-*"):
        match = _NAME.match(path.name)
        if match and (path / STATE_FILE).exists():
            found.append(Checkpoint(path, int(match.group(1))))
    return sorted(found, key=lambda c: c.step)


def latest(output_dir: Path) -> Checkpoint | None:
    found = checkpoints(output_dir)
    return found[-1] if found else None


def save(
    output_dir: Path,
    step: int,
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    state: dict[str, Any],
    info: dict[str, Any],
    keep: int,
) -> Checkpoint:
    """Write checkpoint `step` atomically and prune to the newest `keep`."""
    import torch

    final = output_dir / f"checkpoint-{step}"
    temporary = output_dir / f".tmp-checkpoint-{step}"
    shutil.rmtree(temporary, ignore_errors=True)
    model.save_pretrained(temporary)
    tokenizer.save_pretrained(temporary)
    torch.save({**state, "step": step, "rng": _rng_state()}, temporary / STATE_FILE)
    (temporary / INFO_FILE).write_text(json.dumps({**info, "step": step}, indent=2, sort_keys=True))
    for name in SIDECARS:
        if (output_dir / name).exists():
            shutil.copy2(output_dir / name, temporary / name)
    shutil.rmtree(final, ignore_errors=True)
    temporary.rename(final)
    for old in checkpoints(output_dir)[:-keep] if keep > 0 else []:
        shutil.rmtree(old.path, ignore_errors=True)
    return Checkpoint(final, step)


def load_state(checkpoint: Checkpoint, device: torch.device | str = "cpu") -> dict[str, Any]:
    """The trainer state of `checkpoint`, with the RNG states restored."""
    import torch

    state = torch.load(checkpoint.path / STATE_FILE, map_location=device, weights_only=False)
    _restore_rng(state["rng"])
    return state


def _rng_state() -> dict[str, Any]:
    import torch

    state = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _restore_rng(state: dict[str, Any]) -> None:
    import torch

    random.setstate(state["python"])
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
