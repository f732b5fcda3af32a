"""Policies by name; model-backed ones are imported only when asked for (they pull in httpx/torch)."""

from __future__ import annotations

from typing import Any

from tasks.policies.base import Policy

POLICY_NAMES = ("perturb", "openai", "hf")


def make_policy(name: str, seed: int = 0, **options: Any) -> Policy:
    """The policy `name` configured with `options` (see each policy's constructor)."""
    if name == "perturb":
        from tasks.policies.perturb import PerturbPolicy

        return PerturbPolicy(seed=seed, **options)
    if name == "openai":
        from tasks.policies.openai import OpenAIPolicy

        return OpenAIPolicy(seed=seed, **options)
    if name == "hf":
        from tasks.policies.hf import HFPolicy

        return HFPolicy(seed=seed, **options)
    raise ValueError(f"unknown policy {name!r}; choose one of {', '.join(POLICY_NAMES)}")
