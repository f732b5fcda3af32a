"""Chat prompts for model-backed policies and parsing of their replies.

The user message gives the task (instruction, interface, environment) and, for a repair turn, the
previous code with the backend's verbatim diagnostic as the observation. The reply is free reasoning
followed by one fenced code block; the last fenced block is the code, the rest the reasoning.
"""

from __future__ import annotations

import re

from tasks.policies.base import Attempt, Episode

SYSTEM_PROMPT = (
    "You are an expert industrial software and hardware engineer. Think step by step about the "
    "requirement and any tool output, then give the complete solution in one fenced code block."
)
_FENCE = re.compile(r"```[\w+-]*\n(.*?)```", re.DOTALL)


def messages(episode: Episode, language: str) -> list[dict[str, str]]:
    """OpenAI-style chat messages for the episode's next turn."""
    task = episode.task
    environment = "\n".join(f"- {k}: {v}" for k, v in sorted(task.environment.items()))
    parts = [
        f"## Task ({task.domain}, {task.family})\n{task.instruction}",
        f"## Interface\n```{language}\n{task.interface}\n```",
        f"## Environment\n{environment}",
    ]
    if episode.turns:
        last = episode.turns[-1]
        parts.append(f"## Your previous attempt (turn {last.turn_index})\n```{language}\n{last.code}\n```")
        parts.append(f"## Tool result: {last.result.outcome}\n```\n{last.result.diagnostic}\n```")
        parts.append("Explain what the tool output means, then give the corrected complete code.")
    else:
        parts.append("Reason about the design, then give the complete code.")
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


def parse_reply(text: str) -> Attempt:
    """Reasoning and code from a reply; a reply without a fence is all code (the tool will judge it)."""
    blocks = list(_FENCE.finditer(text))
    if not blocks:
        return Attempt(reasoning="", code=text.strip())
    last = blocks[-1]
    reasoning = (text[: last.start()] + text[last.end() :]).strip()
    return Attempt(reasoning=reasoning, code=last.group(1).rstrip() + "\n")
