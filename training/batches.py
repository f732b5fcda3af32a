"""From stored rows to padded batches: prompt→target pairs, loss on the target only.

ICWM rows carry `prompt` and `target` text; SFT rows carry chat `messages` (JSON), rendered with the
tokenizer's chat template: the prompt is every message but the last plus the assistant header, the
target is what the template appends for the last (assistant) message. So the loss covers exactly
the tokens a policy generates at inference time.

A prompt longer than its budget is cut as the ICWM backend cuts it (`codec.truncate_prompt`: head
and tail kept); a target keeps its head (the label comes first).
Batches group similar lengths (sorted within shuffled windows of 50 batches) so little is padding;
data-parallel ranks take disjoint batches of one seeded order.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.dataset as ds

from backends.icwm.codec import truncate_prompt

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

IGNORE = -100
_WINDOW = 50


@dataclass(frozen=True)
class Encoded:
    input_ids: list[int]
    labels: list[int]


def read_table(path: str | Path, split: str | None = None) -> pa.Table:
    """Rows of a Parquet file or directory (Hive `run_id=` partitions included), optionally one split."""
    dataset = ds.dataset(str(path), format="parquet", partitioning="hive")
    table = dataset.to_table(filter=ds.field("split") == split if split else None)
    if table.num_rows == 0:
        raise ValueError(f"{path}: no rows{f' in split {split!r}' if split else ''}")
    return table


def read_rows(path: str | Path, split: str | None = None) -> list[dict]:
    return read_table(path, split).to_pylist()


def render_pair(row: dict, tokenizer: PreTrainedTokenizerBase) -> tuple[str, str]:
    """(prompt, target) text of an ICWM row or an SFT row."""
    if "messages" not in row:
        return row["prompt"], row["target"]
    messages = json.loads(row["messages"]) if isinstance(row["messages"], str) else row["messages"]
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full.startswith(prompt):
        raise ValueError(f"row {row.get('turn_id')}: the chat template does not extend the prompt with the reply")
    return prompt, full[len(prompt) :]


def encode(prompt: str, target: str, tokenizer: PreTrainedTokenizerBase, max_length: int) -> Encoded:
    """Token ids of prompt + target within `max_length`, labels masked (IGNORE) over the prompt."""
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    target_ids = tokenizer(target, add_special_tokens=False)["input_ids"][: max_length // 2]
    prompt_ids = truncate_prompt(prompt_ids, max_length - len(target_ids))
    return Encoded(prompt_ids + target_ids, [IGNORE] * len(prompt_ids) + target_ids)


def encode_rows(rows: list[dict], tokenizer: PreTrainedTokenizerBase, max_length: int) -> list[Encoded]:
    return [encode(*render_pair(row, tokenizer), tokenizer, max_length) for row in rows]


def epoch_batches(lengths: list[int], batch_size: int, seed: int, epoch: int, rank: int, world: int) -> list[list[int]]:
    """This rank's batches (lists of example indices) for one epoch; every rank gets the same count."""
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * _WINDOW
    grouped: list[int] = []
    for start in range(0, len(order), window):
        grouped += sorted(order[start : start + window], key=lambda i: lengths[i])
    batches = [grouped[i : i + batch_size] for i in range(0, len(grouped), batch_size)]
    rng.shuffle(batches)
    per_rank = len(batches) // world
    if per_rank == 0:
        raise ValueError(f"{len(lengths)} examples make fewer than one batch of {batch_size} per each of {world} ranks")
    return batches[rank * per_rank : (rank + 1) * per_rank]


def collate(examples: list[Encoded], pad_id: int, multiple: int = 8) -> dict[str, torch.Tensor]:
    """Right-padded tensors; length rounded up to `multiple` for tensor-core friendly shapes."""
    import torch

    length = -(-max(len(e.input_ids) for e in examples) // multiple) * multiple
    input_ids = torch.full((len(examples), length), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), length), IGNORE, dtype=torch.long)
    attention = torch.zeros((len(examples), length), dtype=torch.long)
    for row, example in enumerate(examples):
        n = len(example.input_ids)
        input_ids[row, :n] = torch.tensor(example.input_ids)
        labels[row, :n] = torch.tensor(example.labels)
        attention[row, :n] = 1
    return {"input_ids": input_ids, "labels": labels, "attention_mask": attention}
