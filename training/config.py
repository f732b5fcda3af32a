"""One configuration for every training job (ICWM and SFT), read from one TOML (or JSON) file.

```toml
name = "icwm-demo"            # the training run id: its `training_runs` rows and checkpoints
kind = "icwm"                 # icwm | sft
output_dir = "runs/icwm-demo" # checkpoints, tokenizer, resolved config.json, summary.json
registry = "data"             # data root of the `training_runs` table ("" = do not register)
[model]     # from scratch (a small Llama/Qwen2 config) unless `base` names a local checkpoint
[tokenizer] # byte-level BPE trained on the training texts (ignored with a base checkpoint)
[data]      # path: Parquet file or directory of icwm_examples / sft_examples rows
[optim]
[launch]    # launcher = local | torchrun | ray, workers, save_every...
```
Every field has a default; a section in the file overrides only the keys it names. The launcher
writes the resolved configuration as `<output_dir>/config.json`, which torchrun and Ray workers read.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

KINDS = ("icwm", "sft")
LAUNCHERS = ("local", "torchrun", "ray")


class ConfigError(ValueError):
    """A configuration file or value that cannot be used; the message names the key."""


@dataclass
class ModelConfig:
    """Defaults: a ~14M-parameter Llama-style decoder (d=384, 6 layers, SwiGLU width 1024 = 8/3·d,
    tied embeddings), big enough to read a diagnostic-bearing target and small enough to train on a few
    thousand turns in minutes on one GPU. `max_length` covers the prompt (spec + code) and target."""

    base: str = ""
    architecture: str = "llama"
    hidden_size: int = 384
    layers: int = 6
    heads: int = 6
    kv_heads: int = 6
    intermediate_size: int = 1024
    max_length: int = 1024


@dataclass
class TokenizerConfig:
    """8k merges: the corpus is a few domains' code and tool output, so a small vocabulary already
    makes most keywords and diagnostic phrases single tokens, and keeps the embedding small."""

    vocab_size: int = 8000
    min_frequency: int = 2


@dataclass
class DataConfig:
    path: str = ""
    split: str = "train"


@dataclass
class OptimConfig:
    """AdamW with linear warm-up then cosine decay to 10% of `lr`; `steps` is the total optimizer
    steps (epochs follow from it and the data size)."""

    lr: float = 1e-3
    weight_decay: float = 0.1
    warmup_steps: int = 50
    steps: int = 1000
    batch_size: int = 16
    grad_clip: float = 1.0
    precision: str = "bf16"
    seed: int = 0


@dataclass
class LaunchConfig:
    """`peak_tflops` 0 = the datasheet dense bf16 rate of the GPU found (989 for an H100/H200 SXM);
    MFU is only reported where a peak is known."""

    launcher: str = "local"
    workers: int = 1
    use_gpu: bool = True
    save_every: int = 200
    keep_checkpoints: int = 2
    log_every: int = 20
    peak_tflops: float = 0.0


@dataclass
class TrainConfig:
    name: str = "train"
    kind: str = "icwm"
    output_dir: str = "runs/train"
    registry: str = ""
    model: ModelConfig = field(default_factory=ModelConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    launch: LaunchConfig = field(default_factory=LaunchConfig)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"kind {self.kind!r}: choose one of {', '.join(KINDS)}")
        if self.launch.launcher not in LAUNCHERS:
            raise ConfigError(f"launch.launcher {self.launch.launcher!r}: choose one of {', '.join(LAUNCHERS)}")

    @property
    def output(self) -> Path:
        return Path(self.output_dir)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        return _build(cls, values, "")

    def with_overrides(self, overrides: dict[str, Any]) -> TrainConfig:
        """A copy with dotted keys replaced, e.g. {"optim.steps": 20, "launch.launcher": "torchrun"}."""
        values = self.to_dict()
        for dotted, value in overrides.items():
            *path, key = dotted.split(".")
            section = values
            for part in path:
                if not isinstance(section.get(part), dict):
                    raise ConfigError(f"override {dotted!r}: no section {part!r}")
                section = section[part]
            if key not in section:
                raise ConfigError(f"override {dotted!r}: no key {key!r}")
            section[key] = value
        return TrainConfig.from_dict(values)


def _build(kind: type, values: dict[str, Any], prefix: str) -> Any:
    known = {f.name: f for f in fields(kind)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"unknown configuration keys {', '.join(prefix + k for k in unknown)}")
    arguments = {}
    for name, value in values.items():
        default = known[name].default_factory() if callable(known[name].default_factory) else None
        if is_dataclass(default):
            if not isinstance(value, dict):
                raise ConfigError(f"{prefix}{name} must be a section, got {value!r}")
            arguments[name] = _build(type(default), value, f"{prefix}{name}.")
        else:
            arguments[name] = value
    return kind(**arguments)


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """The configuration in `path` (.toml or .json), with dotted-key `overrides` applied."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        values = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: {err}") from err
    config = TrainConfig.from_dict(values)
    return config.with_overrides(overrides) if overrides else config
