"""SFT samples from ECoT trajectories: the policy's prompt at each turn, and its reply with the
reasoning in a thinking block.

The chat samples come from `flows.export.chat_samples` (one per turn; system and user messages are
exactly what a model-backed policy is prompted with, including, on a repair turn, the failed code
and the tool's verbatim diagnostic). Here the assistant reply becomes
`<think>\\n{reasoning}\\n</think>\\n\\n```lang\\n{code}\\n```` — the seed paper's form: failed turns
are kept with their execution feedback, followed by the repair. The `hf` policy reads such a reply
back with `parse_reply` (the last fence is the code).

Samples are split by task with the ICWM's split (`training.dataset.task_split`), so the tasks held
out for pass@1 are never trained on. `export_jsonl` writes `{"messages": [...]}` lines, the
conversational format TRL's SFTTrainer, LLaMA-Factory and axolotl read, with the sample's metadata.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from schemas.artifacts import Turn
from training.records import SftExample

STAGE = "sft_dataset"


def thinking_reply(reasoning: str, code: str, language: str) -> str:
    fence = f"```{language}\n{code.rstrip()}\n```"
    return f"<think>\n{reasoning.strip()}\n</think>\n\n{fence}"


def sft_examples(
    samples: Sequence[dict],
    turns: Mapping[str, Turn],
    languages: Mapping[str, str],
    split: Mapping[str, str],
) -> tuple[list[SftExample], Counter[str]]:
    """One SFT example per chat sample, its reply rewritten with a thinking block; counts per split."""
    examples, counts = [], Counter()
    for sample in samples:
        turn = turns[sample["turn_id"]]
        *prompt, reply = sample["messages"]
        if reply["role"] != "assistant":
            raise ValueError(f"sample of turn {turn.turn_id}: the last message is {reply['role']}, not assistant")
        reply = {"role": "assistant", "content": thinking_reply(turn.reasoning, turn.code, languages[turn.domain])}
        side = split[turn.task_id]
        counts[f"{side} {turn.domain}"] += 1
        examples.append(
            SftExample(
                **SftExample.keys(turn, side, STAGE),
                outcome=sample["outcome"],
                verdict=sample["verdict"],
                messages=json.dumps([*prompt, reply], ensure_ascii=False),
            )
        )
    return examples, counts


def export_jsonl(examples: Sequence[SftExample], out: Path, split: str | None = "train") -> int:
    """Write `{"messages": [...], ...metadata}` lines (one split, or all) atomically; returns the count."""
    rows = [e for e in examples if split is None or e.split == split]
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex}")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            for example in rows:
                record = {"messages": json.loads(example.messages)}
                record.update(example.model_dump(exclude={"stage", "parent_ids", "messages"}))
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    return len(rows)
