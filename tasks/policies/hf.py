"""A policy backed by a local transformers checkpoint (e.g. one `training/` produced).

Only local files are read (`local_files_only=True`): no hub access at run time. The chat template
of the checkpoint's tokenizer is used when it has one, else the messages are joined as plain text.
Generation is batched with left padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from backends.domain import get_domain
from tasks.policies.base import Attempt, Episode, PolicyConfigError
from tasks.policies.prompt import messages, parse_reply

NAME = "hf"


class HFPolicy:
    name = NAME

    def __init__(
        self,
        seed: int = 0,
        model: str | None = None,
        max_new_tokens: int = 512,
        temperature: float = 0.7,
        batch_size: int = 8,
        device: str | None = None,
    ) -> None:
        if not model or not Path(model).is_dir():
            raise PolicyConfigError(f"hf policy needs model=<local checkpoint directory>, got {model!r}")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.seed, self.model_path = seed, model
        self.max_new_tokens, self.temperature, self.batch_size = max_new_tokens, temperature, batch_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=True, padding_side="left")
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(model, local_files_only=True).to(self.device).eval()

    @property
    def fingerprint(self) -> str:
        return f"{NAME}-{Path(self.model_path).resolve()}-t{self.temperature}-s{self.seed}"

    def _prompt(self, episode: Episode) -> str:
        chat = messages(episode, get_domain(episode.task.domain).language)
        if self.tokenizer.chat_template:
            return self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        return "\n\n".join(m["content"] for m in chat) + "\n\n"

    def act(self, episodes: Sequence[Episode]) -> list[Attempt]:
        self.torch.manual_seed(self.seed)
        attempts: list[Attempt] = []
        for start in range(0, len(episodes), self.batch_size):
            prompts = [self._prompt(e) for e in episodes[start : start + self.batch_size]]
            inputs = self.tokenizer(prompts, return_tensors="pt", padding=True).to(self.device)
            with self.torch.no_grad():
                output = self.model.generate(
                    **inputs,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=self.temperature > 0,
                    temperature=self.temperature if self.temperature > 0 else None,
                    pad_token_id=self.tokenizer.pad_token_id,
                )
            replies = self.tokenizer.batch_decode(output[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
            attempts += [parse_reply(reply) for reply in replies]
        return attempts
