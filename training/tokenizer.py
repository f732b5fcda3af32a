"""The tokenizer: a byte-level BPE trained locally with `tokenizers`, or a base checkpoint's, extended.

Byte-level, so any code or tool output (non-ASCII paths, binary garbage in a diagnostic) encodes
without unknown tokens. Special tokens: padding, `<|end|>` (end of a target and of a chat turn; the
end-of-sequence token generation stops at), the chat roles, and one token per outcome label
(`backends.icwm.codec.LABEL_TOKENS`), so a label is never split and its probability is one softmax
entry. `<think>`/`</think>` are added as ordinary (non-special) tokens so decoding keeps them.

The chat template renders `<|role|>\\n content <|end|>\\n` per message; the `hf` policy applies the
same template (it is saved with the tokenizer), so SFT prompts and inference prompts are one string.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from backends.icwm.codec import END, LABEL_TOKENS

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

PAD = "<|pad|>"
ROLES = ("<|system|>", "<|user|>", "<|assistant|>")
THINK = ("<think>", "</think>")
SPECIAL = (PAD, END, *ROLES, *LABEL_TOKENS)
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int, min_frequency: int = 2) -> PreTrainedTokenizerBase:
    """A byte-level BPE fitted on `texts`, wrapped as a transformers fast tokenizer."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer=trainer)
    bpe.add_tokens([AddedToken(token, special=False, normalized=False) for token in THINK])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, pad_token=PAD, eos_token=END, model_input_names=["input_ids", "attention_mask"]
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def extend_tokenizer(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """A base checkpoint's tokenizer with our special tokens added (the model's embeddings are resized
    to match by `training.model.build_model`); its own chat template is kept when it has one."""
    tokenizer.add_special_tokens({"additional_special_tokens": [t for t in SPECIAL if t != PAD]})
    tokenizer.add_tokens(list(THINK))
    if tokenizer.pad_token is None:
        tokenizer.add_special_tokens({"pad_token": PAD})
    if not tokenizer.chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
        tokenizer.eos_token = END
    return tokenizer


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def stop_token_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """Token ids that end a generation: `<|end|>` and the tokenizer's own end of sequence."""
    ids = {tokenizer.convert_tokens_to_ids(END), tokenizer.eos_token_id}
    return sorted(i for i in ids if i is not None)
