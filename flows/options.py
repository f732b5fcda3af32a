"""`KEY=VALUE` command-line options (policy, generator, answerer, benchmark options) as a dict.

One parser for every subcommand that takes them; it imports nothing heavy, so argument parsing never
pays for Prefect.
"""

from __future__ import annotations

import json
from typing import Any


def key_values(pairs: list[str], flag: str) -> dict[str, Any]:
    """`["k=v", ...]` given with `flag` -> `{k: v}`; a value that is JSON (`3`, `true`, `[1]`) is decoded."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"{flag} {pair!r}: expected KEY=VALUE")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options
