"""The ICWM's text contract: what the model reads (environment + candidate) and what it writes (the result).

Defined once, here, because the same strings are written when the training rows are built from real
turns (`training/dataset.py`) and when the backend asks the model about a new candidate: if the two
drifted, the model would be asked questions it was never trained on.

Prompt: the execution environment — domain, family and parameters, the toolchain and its versions,
the task's environment knobs, its instruction and interface — then the candidate code and, with
`reference="diff"`, the candidate's unified diff against the task's golden reference (line numbers
in the hunk headers), ending with `RESULT_HEADER`. The training flow asks for the diff by default:
measured on the demo's turns, it is the difference between a model near chance and a useful one
(docs/training.md); every task carries its golden reference (seed tasks, synthesized and imported
ones alike). `reference="none"` (environment + candidate only) stays for comparison, and is what a
checkpoint without codec metadata gets.
Target: one label token (`<|PASS|>`, `<|TEST_FAILURE|>`...; a single token per
outcome, so the label distribution is one softmax at one position and its probability is the
prediction's confidence), a `metrics:` line with the backend's first `max_metrics` metrics, the
tool's diagnostic trimmed verbatim (`backends.diagnostic.trim`), and `END`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from backends.diagnostic import trim
from schemas.artifacts import ExecutionResult, Task
from schemas.outcome import Outcome

LABELS: tuple[Outcome, ...] = tuple(o for o in Outcome if o.is_label)
END = "<|end|>"
RESULT_HEADER = "## Result\n"
_METRICS_PREFIX = "metrics:"
_METRIC = re.compile(r"([A-Za-z0-9_.]+)=(-?[0-9.eE+-]+|nan|inf|-inf)")
HEAD_SHARE = 0.25  # of a truncated prompt's token budget kept from its start
REFERENCES = ("none", "diff")
DIFF_CHARS = 1500  # a rewrite, not an edit, of the reference: its diff says little more than the code


def label_token(outcome: Outcome) -> str:
    return f"<|{outcome.value}|>"


LABEL_TOKENS: tuple[str, ...] = tuple(label_token(o) for o in LABELS)
_BY_TOKEN = {label_token(o): o for o in LABELS}


@dataclass(frozen=True)
class CodecConfig:
    """Budgets in characters, applied before tokenization so every target ends with `END`.

    `diagnostic_chars` 600: the head and tail of a diagnostic carry the first error and the summary
    (what `trim` keeps); a backend's 2,000 would cost the model ~4x the target tokens for text that
    repeats. `max_metrics` 6: the backend's own leading metrics (pass/fail counts, cycles, sizes).
    """

    diagnostic_chars: int = 600
    max_metrics: int = 6
    reference: str = "none"

    def __post_init__(self) -> None:
        if self.reference not in REFERENCES:
            raise ValueError(f"reference {self.reference!r}: choose one of {', '.join(REFERENCES)}")


def _format_value(value: float) -> str:
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def reference_diff(task: Task, code: str) -> str:
    """`code` against the task's golden reference, as a unified diff with one line of context."""
    lines = difflib.unified_diff(
        task.reference.rstrip().splitlines(), code.rstrip().splitlines(), "reference", "candidate", n=1, lineterm=""
    )
    return trim("\n".join(lines), DIFF_CHARS) or "(identical to the reference)"


def prompt(task: Task, code: str, tool_versions: Mapping[str, str], reference: str = "none") -> str:
    """What the model reads: the environment the real backend would run `code` in, then `code`."""
    lines = [
        f"domain: {task.domain}",
        f"family: {task.family}",
        "params: " + ", ".join(f"{k}={v}" for k, v in sorted(task.params.items())),
        *(f"tool {name}: {version}" for name, version in sorted(tool_versions.items())),
        *(f"env {key}: {value}" for key, value in sorted(task.environment.items())),
        f"## Instruction\n{task.instruction.strip()}",
        f"## Interface\n{task.interface.strip()}",
        f"## Candidate\n{code.rstrip()}",
    ]
    if reference == "diff":
        lines.append(f"## Change from the reference\n{reference_diff(task, code)}")
    return "\n".join(lines) + "\n" + RESULT_HEADER


def target(result: ExecutionResult, config: CodecConfig = CodecConfig()) -> str:
    """What the model writes: label token, key metrics, the trimmed diagnostic, `END`."""
    if not result.outcome.is_label:
        raise ValueError(f"{result.request_id}: {result.outcome} is not a training label")
    metrics = list(result.metrics.items())[: config.max_metrics]
    metric_line = " ".join(f"{k}={_format_value(v)}" for k, v in metrics)
    diagnostic = trim(result.diagnostic, config.diagnostic_chars)
    return f"{label_token(result.outcome)}\n{_METRICS_PREFIX} {metric_line}\n{diagnostic}{END}"


def truncate_prompt(ids: list[int], budget: int) -> list[int]:
    """A prompt's token ids within `budget`: the head (domain, toolchain, family) and the tail (the end
    of the candidate and `RESULT_HEADER`) survive, the middle goes."""
    if len(ids) <= budget:
        return ids
    head = int(budget * HEAD_SHARE)
    return ids[:head] + ids[len(ids) - (budget - head) :]


@dataclass(frozen=True)
class Decoded:
    """A generated target read back; `label` is None when the text starts with no label token."""

    label: Outcome | None
    metrics: dict[str, float] = field(default_factory=dict)
    diagnostic: str = ""


def parse_target(text: str) -> Decoded:
    """The label, metrics and diagnostic of a target text (generated or real)."""
    text = text.split(END, 1)[0]
    label = next((_BY_TOKEN[t] for t in LABEL_TOKENS if text.lstrip().startswith(t)), None)
    if label is not None:
        text = text.lstrip()[len(label_token(label)) :].lstrip("\n")
    first, _, rest = text.partition("\n")
    metrics: dict[str, float] = {}
    if first.startswith(_METRICS_PREFIX):
        for key, value in _METRIC.findall(first[len(_METRICS_PREFIX) :]):
            try:
                metrics[key] = float(value)
            except ValueError:
                continue
        text = rest
    return Decoded(label, metrics, text.strip())
