"""Diagnostics are the tool's own words: trimmed to a budget, never paraphrased."""

from __future__ import annotations

DIAGNOSTIC_CHARS = 2000


def trim(text: str, limit: int = DIAGNOSTIC_CHARS) -> str:
    """Keep the start (the first error is usually the cause) and the end (summaries), drop the middle."""
    text = text.strip()
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - limit} chars trimmed ...]\n{text[-half:]}"
