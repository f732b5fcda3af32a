"""Stage reports as Prefect artifacts (markdown) and log lines: the stage's counts, and where its rows are.

Every flow publishes one: its counts (in, kept, dropped by reason, outcomes by class) and, per table
the run wrote, the row count, a link to the run's Parquet partition and the catalog query that
selects those rows. Outside a flow run it is only logged, so the stage functions stay testable.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from prefect.artifacts import create_markdown_artifact
from prefect.context import get_run_context

from flows.lineage import rows_written
from schemas.store import ArtifactStore

log = logging.getLogger(__name__)


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def catalog_section(store: ArtifactStore, run_id: str) -> str:
    """Where the run's rows are: one line per table, with a link to its partition and its query."""
    rows = rows_written(store, run_id)
    if not rows:
        return f"Run `{run_id}` wrote no rows.\n"
    catalog = store.catalog_path or store.root
    lines = [
        (
            table,
            count,
            f"[{table}/run_id={run_id}]({_link(store, table, run_id)})",
            f"`SELECT * FROM {table} WHERE run_id = '{run_id}'`",
        )
        for table, count in sorted(rows.items())
    ]
    return (
        f"Rows of run `{run_id}` in the catalog `{catalog}` (query it with `forge sql`; lineage: "
        f"`forge runs {run_id}`):\n\n"
        + markdown_table(["table", "rows", "Parquet", "query"], lines)
    )


def _link(store: ArtifactStore, table: str, run_id: str) -> str:
    if store.local_root is not None:
        return (Path(store.local_root) / table / f"run_id={run_id}").as_uri()
    return f"{store.root}/{table}/run_id={run_id}"


def publish(key: str, title: str, markdown: str, run_id: str) -> None:
    """The markdown as artifact `key` of the current flow run; nothing outside a run."""
    try:
        get_run_context()
    except RuntimeError:
        return
    create_markdown_artifact(key=key, markdown=f"## {title}\n\n{markdown}", description=f"{title} for {run_id}")


def publish_counts(key: str, title: str, counts: Mapping[str, object], run_id: str, store: ArtifactStore) -> None:
    """Publish `counts` and the catalog rows of run `run_id`; outside a flow run it is only logged."""
    log.info("%s %s: %s", title, run_id, dict(counts))
    counts_table = markdown_table(["count", "value"], list(counts.items()))
    publish(key, title, f"{counts_table}\n{catalog_section(store, run_id)}", run_id)
