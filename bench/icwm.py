"""ICWM against the real backends on the same held-out candidates: turns/s per domain and the ratio.

    python bench/icwm.py --data DATA --checkpoint DIR|icwm-RUN [--per-domain 64] [--real live|stored]

The candidates are held-out turns of the checkpoint's dataset (`icwm_examples`, split `test`).
Real: `live` runs each candidate through its domain's `execute` in this process, one after the other
(one worker, the sandbox included); `stored` takes the `duration_s` the real backend measured when
the turn was produced (for a machine without the toolchains, e.g. a GPU box). ICWM: batched
prediction of the same candidates, label and generated diagnostic, on the device found (CUDA if
any), after one warm-up batch. Agreement is the ICWM's label against the real outcome.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from backends.domain import get_domain
from backends.icwm.predictor import IcwmModel
from schemas.artifacts import ExecutionRequest, Task, Turn
from schemas.store import ArtifactStore
from training.batches import read_table
from training.records import IcwmExample
from training.registry import resolve_checkpoint


def held_out(store: ArtifactStore, checkpoint: Path, per_domain: int) -> dict[str, list[IcwmExample]]:
    config = json.loads((checkpoint.parent / "config.json").read_text())
    examples = IcwmExample.from_table(read_table(config["data"]["path"], "test"))
    by_domain: dict[str, list[IcwmExample]] = defaultdict(list)
    for example in examples:
        if len(by_domain[example.domain]) < per_domain:
            by_domain[example.domain].append(example)
    return by_domain


def real_seconds(store: ArtifactStore, examples: list[IcwmExample], mode: str) -> tuple[float, list[str]]:
    turns = {t.turn_id: t for t in store.read_records(Turn) if t.turn_id in {e.turn_id for e in examples}}
    if mode == "stored":
        return sum(turns[e.turn_id].result.duration_s for e in examples), [e.label for e in examples]
    tasks = {t.task_id: t for t in store.read_records(Task)}
    execute = get_domain(examples[0].domain).execute
    start, outcomes = time.perf_counter(), []
    for example in examples:
        turn = turns[example.turn_id]
        outcomes.append(str(execute(ExecutionRequest.for_code(tasks[turn.task_id], turn.code, 30.0)).outcome))
    return time.perf_counter() - start, outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--checkpoint", required=True, help="checkpoint directory or icwm-... training run id")
    parser.add_argument("--per-domain", type=int, default=64)
    parser.add_argument("--real", choices=["live", "stored"], default="live")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=192)
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    store = ArtifactStore(args.data)
    checkpoint = Path(resolve_checkpoint(str(store.root), args.checkpoint))
    model = IcwmModel(checkpoint, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens)
    rows = []
    for domain, examples in sorted(held_out(store, checkpoint, args.per_domain).items()):
        model.predict([e.prompt for e in examples[: args.batch_size]])  # warm-up: kernels, allocator
        model.seconds = 0.0
        predictions = model.predict([e.prompt for e in examples])
        icwm_rate = len(examples) / model.seconds
        seconds, outcomes = real_seconds(store, examples, args.real)
        real_rate = len(examples) / seconds
        agree = sum(str(p.label) == o for p, o in zip(predictions, outcomes, strict=True)) / len(examples)
        rows.append({"domain": domain, "candidates": len(examples), "real_turns_per_s": round(real_rate, 2),
                     "icwm_turns_per_s": round(icwm_rate, 2), "speedup": round(icwm_rate / real_rate, 1),
                     "agreement": round(agree, 3), "device": str(model.device), "real": args.real})
    print(f"{'domain':10} {'n':>5} {'real turns/s':>13} {'icwm turns/s':>13} {'speed-up':>9} {'agree':>6}")
    for row in rows:
        print(f"{row['domain']:10} {row['candidates']:>5} {row['real_turns_per_s']:>13} {row['icwm_turns_per_s']:>13} "
              f"{row['speedup']:>8}x {row['agreement']:>6}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
