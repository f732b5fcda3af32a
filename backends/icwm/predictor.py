"""Batched ICWM inference: label distribution from one softmax, then the diagnostic by greedy decoding.

Prompts are left-padded and decoded together. At the first generated position only the label tokens
may be chosen (a logits processor masks the rest), so every prediction has a label; the softmax of
the raw logits over the label tokens at that position is the label distribution, and the chosen
label's probability is the prediction's confidence. Decoding then continues greedily to `<|end|>`
or `max_new_tokens` for the metrics line and the diagnostic. With `generate=False` only the label
is computed (one forward pass), which is what outcome accuracy and trajectory agreement need.

`icwm.json` beside the weights (or in a parent directory: the training output) holds the toolchain
versions per domain the model was trained on, which the backend writes into its prompts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.icwm.codec import LABEL_TOKENS, LABELS, Decoded, label_token, parse_target, truncate_prompt
from schemas.outcome import Outcome

METADATA_FILE = "icwm.json"


class IcwmCheckpointError(FileNotFoundError):
    """The path is not an ICWM checkpoint (weights, tokenizer with label tokens, icwm.json)."""


@dataclass(frozen=True)
class Prediction:
    label: Outcome
    confidence: float
    probabilities: dict[str, float]
    decoded: Decoded = field(default_factory=lambda: Decoded(None))


def load_metadata(checkpoint: Path) -> dict[str, Any]:
    for directory in (checkpoint, *checkpoint.parents):
        if (directory / METADATA_FILE).exists():
            return json.loads((directory / METADATA_FILE).read_text())
    raise IcwmCheckpointError(f"no {METADATA_FILE} in {checkpoint} or its parents: not an ICWM training output")


class IcwmModel:
    """A trained ICWM checkpoint, ready for batched prediction on one device."""

    def __init__(
        self, checkpoint: str | Path, device: str | None = None, batch_size: int = 32, max_new_tokens: int = 192
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch, self.path = torch, Path(checkpoint)
        if not (self.path / "config.json").exists():
            raise IcwmCheckpointError(f"{self.path}: no model weights (config.json) there")
        self.metadata = load_metadata(self.path)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.batch_size, self.max_new_tokens = batch_size, max_new_tokens
        self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        dtype = torch.bfloat16 if self.device.type == "cuda" else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(self.path, local_files_only=True, dtype=dtype)
        self.model.to(self.device).eval()
        self.label_ids = self.tokenizer.convert_tokens_to_ids(list(LABEL_TOKENS))
        if self.tokenizer.unk_token_id is not None and self.tokenizer.unk_token_id in self.label_ids:
            raise IcwmCheckpointError(f"{self.path}: the tokenizer has no label tokens")
        self.stop_ids = sorted({self.tokenizer.convert_tokens_to_ids("<|end|>"), self.tokenizer.eos_token_id} - {None})
        self.max_length = int(getattr(self.model.config, "max_position_embeddings", 1024))
        self.seconds = 0.0  # inference wall time so far, for turns/s

    @property
    def name(self) -> str:
        return f"icwm:{self.path.resolve()}"

    def _batch(self, prompts: Sequence[str], generate: bool) -> tuple[Any, Any]:
        budget = self.max_length - (self.max_new_tokens if generate else 1)
        encoded = self.tokenizer(list(prompts), add_special_tokens=False)["input_ids"]
        rows = [truncate_prompt(ids, budget) for ids in encoded]
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id
        input_ids = self.torch.tensor([[pad] * (width - len(r)) + r for r in rows], device=self.device)
        mask = self.torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], device=self.device)
        return input_ids, mask

    def _labels(self, logits: Any) -> list[tuple[Outcome, float, dict[str, float]]]:
        probabilities = self.torch.softmax(logits[:, self.label_ids].float(), dim=-1).cpu()
        answers = []
        for row in probabilities:
            best = int(row.argmax())
            distribution = {str(o): float(p) for o, p in zip(LABELS, row, strict=True)}
            answers.append((LABELS[best], float(row[best]), distribution))
        return answers

    def _predict_batch(self, prompts: Sequence[str], generate: bool) -> list[Prediction]:
        input_ids, mask = self._batch(prompts, generate)
        with self.torch.inference_mode():
            if not generate:
                logits = self.model(input_ids=input_ids, attention_mask=mask).logits[:, -1, :]
                return [Prediction(*answer) for answer in self._labels(logits)]
            output = self.model.generate(
                input_ids=input_ids, attention_mask=mask, max_new_tokens=self.max_new_tokens, do_sample=False,
                logits_processor=[_LabelsFirst(self.label_ids, input_ids.shape[1])], output_logits=True,
                return_dict_in_generate=True, eos_token_id=self.stop_ids, pad_token_id=self.tokenizer.pad_token_id,
            )
        answers = self._labels(output.logits[0])
        texts = self.tokenizer.batch_decode(output.sequences[:, input_ids.shape[1] + 1 :], skip_special_tokens=False)
        return [
            Prediction(label, confidence, probabilities, parse_target(label_token(label) + text))
            for (label, confidence, probabilities), text in zip(answers, texts, strict=True)
        ]

    def predict(self, prompts: Sequence[str], generate: bool = True) -> list[Prediction]:
        """Predictions in prompt order; prompts of similar length are batched together."""
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        results: list[Prediction | None] = [None] * len(prompts)
        start = time.perf_counter()
        for first in range(0, len(order), self.batch_size):
            chunk = order[first : first + self.batch_size]
            predictions = self._predict_batch([prompts[i] for i in chunk], generate)
            for index, prediction in zip(chunk, predictions, strict=True):
                results[index] = prediction
        if self.device.type == "cuda":
            self.torch.cuda.synchronize(self.device)
        self.seconds += time.perf_counter() - start
        return [r for r in results if r is not None]


class _LabelsFirst:
    """Logits processor: at the first generated position, only label tokens may be chosen."""

    def __init__(self, label_ids: list[int], prompt_length: int) -> None:
        self.label_ids, self.prompt_length = label_ids, prompt_length

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if input_ids.shape[1] != self.prompt_length:
            return scores
        masked = scores.new_full(scores.shape, float("-inf"))
        masked[:, self.label_ids] = scores[:, self.label_ids]
        return masked
