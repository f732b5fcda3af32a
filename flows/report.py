"""Stage counts as a Prefect artifact (markdown table) and as a log line."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from prefect.artifacts import create_markdown_artifact
from prefect.context import get_run_context

log = logging.getLogger(__name__)


def publish_counts(key: str, title: str, counts: Mapping[str, object], run_id: str) -> None:
    """Publish `counts` for run `run_id`; outside a flow run it is only logged."""
    rows = "\n".join(f"| {name} | {value} |" for name, value in counts.items())
    markdown = (
        f"## {title}\n\nRun `{run_id}` — rows in the catalog: `duckdb data/catalog.duckdb`, "
        f"`WHERE run_id = '{run_id}'`.\n\n| count | value |\n|---|---|\n{rows}\n"
    )
    log.info("%s %s: %s", title, run_id, dict(counts))
    try:
        get_run_context()
    except RuntimeError:
        return
    create_markdown_artifact(key=key, markdown=markdown, description=f"{title} for {run_id}")
