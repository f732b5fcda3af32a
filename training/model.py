"""The causal LM: a small Llama- or Qwen2-style decoder built from a config, or a local base checkpoint.

Nothing is downloaded: a base is read with `local_files_only=True`, and a from-scratch model only
needs its config. The token budget accounting for MFU lives here too, next to the shapes it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from training.config import ConfigError, ModelConfig

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

# Dense bf16 tensor-core rates from the vendors' datasheets (TFLOP/s, no sparsity): MFU's denominator.
PEAK_BF16_TFLOPS = {"H100": 989.4, "H200": 989.4, "A100": 312.0, "L40S": 362.1, "A10": 125.0}


def build_model(config: ModelConfig, tokenizer: PreTrainedTokenizerBase) -> PreTrainedModel:
    """A fresh decoder sized by `config`, or the base checkpoint with embeddings resized to `tokenizer`."""
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    if config.base:
        model = AutoModelForCausalLM.from_pretrained(config.base, local_files_only=True, attn_implementation="sdpa")
        if model.get_input_embeddings().num_embeddings < len(tokenizer):
            model.resize_token_embeddings(len(tokenizer), pad_to_multiple_of=64)
        model.config.pad_token_id = tokenizer.pad_token_id
        return model
    families = {"llama": LlamaConfig, "qwen2": Qwen2Config}
    if config.architecture not in families:
        raise ConfigError(f"model.architecture {config.architecture!r}: choose one of {', '.join(families)}")
    shape = families[config.architecture](
        vocab_size=_round_up(len(tokenizer), 64),  # a multiple of 64 keeps the LM-head matmul on fast tiles
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.layers,
        num_attention_heads=config.heads,
        num_key_value_heads=config.kv_heads,
        max_position_embeddings=config.max_length,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return AutoModelForCausalLM.from_config(shape, attn_implementation="sdpa")


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def matmul_params(model: PreTrainedModel) -> int:
    """Parameters that take part in a matmul per token: all but the input embedding lookup, with the
    LM head counted even when it shares the embedding's weights."""
    total = sum(p.numel() for p in model.parameters())
    embedding = model.get_input_embeddings().weight.numel()
    head = model.get_output_embeddings()
    tied = head is not None and head.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    return total - embedding + (embedding if tied else 0)


def train_flops_per_token(model: PreTrainedModel, sequence_length: float) -> float:
    """6N for the weights (forward + backward) plus 12·L·d·T for attention scores and values (PaLM,
    appendix B), T the mean padded sequence length of the batches."""
    config = model.config
    return 6.0 * matmul_params(model) + 12.0 * config.num_hidden_layers * config.hidden_size * sequence_length


def peak_flops(device_name: str, configured_tflops: float = 0.0) -> float | None:
    """The MFU denominator in FLOP/s: the configured rate, else the datasheet's for the GPU found."""
    if configured_tflops > 0:
        return configured_tflops * 1e12
    return next((rate * 1e12 for name, rate in PEAK_BF16_TFLOPS.items() if name in device_name), None)
