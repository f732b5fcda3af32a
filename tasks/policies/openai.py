"""A policy backed by any OpenAI-compatible chat endpoint (vLLM, SGLang, a hosted API).

Configured by constructor options or the environment: `FORGE_OPENAI_BASE_URL` (e.g.
http://127.0.0.1:8000/v1), `FORGE_OPENAI_MODEL`, `FORGE_OPENAI_API_KEY` (optional for local servers).
Requests for a batch run concurrently; a failed request raises (the flow's retry decides), it never
turns into an empty candidate.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx

from backends.domain import get_domain
from tasks.policies.base import Attempt, Episode, PolicyConfigError
from tasks.policies.prompt import messages, parse_reply

NAME = "openai"


class OpenAIPolicy:
    name = NAME

    def __init__(
        self,
        seed: int = 0,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        temperature: float = 0.7,
        max_tokens: int = 2048,
        concurrency: int = 8,
        timeout_s: float = 300.0,
    ) -> None:
        self.base_url = (base_url or os.environ.get("FORGE_OPENAI_BASE_URL", "")).rstrip("/")
        self.model = model or os.environ.get("FORGE_OPENAI_MODEL", "")
        if not self.base_url or not self.model:
            raise PolicyConfigError("openai policy needs base_url and model (or FORGE_OPENAI_BASE_URL/_MODEL)")
        key = api_key or os.environ.get("FORGE_OPENAI_API_KEY")
        self.seed, self.temperature, self.max_tokens, self.concurrency = seed, temperature, max_tokens, concurrency
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s)

    @property
    def fingerprint(self) -> str:
        return f"{NAME}-{self.model}-t{self.temperature}-s{self.seed}"

    def _complete(self, episode: Episode) -> Attempt:
        body = {
            "model": self.model,
            "messages": messages(episode, get_domain(episode.task.domain).language),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }
        response = self._client.post("/chat/completions", json=body)
        response.raise_for_status()
        return parse_reply(response.json()["choices"][0]["message"]["content"] or "")

    def act(self, episodes: Sequence[Episode]) -> list[Attempt]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self._complete, episodes))
