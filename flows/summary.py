"""The DuckDB summary of an ECoT run: turns by outcome, trajectories by verdict, pass rate by turn."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from schemas.store import ArtifactStore

QUERIES: dict[str, str] = {
    "Turns by outcome": """
        SELECT result.outcome AS outcome, count(*) AS turns,
               round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
        FROM turns WHERE run_id = $run GROUP BY 1 ORDER BY turns DESC""",
    "Trajectories by final verdict": """
        SELECT verdict, count(*) AS trajectories, round(avg(num_turns), 2) AS avg_turns
        FROM trajectories WHERE run_id = $run GROUP BY 1 ORDER BY trajectories DESC""",
    "Pass rate by turn index": """
        WITH per_turn AS (
            SELECT turn_index, count(*) AS turns, count(*) FILTER (result.outcome = 'PASS') AS passed
            FROM turns WHERE run_id = $run GROUP BY 1),
        total AS (SELECT count(*) AS n FROM trajectories WHERE run_id = $run)
        SELECT turn_index, turns, passed, round(100.0 * passed / turns, 1) AS pass_rate_pct,
               round(100.0 * sum(passed) OVER (ORDER BY turn_index) / (SELECT n FROM total), 1)
                   AS solved_by_this_turn_pct
        FROM per_turn ORDER BY turn_index""",
}


def summary(store: ArtifactStore, run_id: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """Title -> (column names, rows) for the run."""
    tables = {}
    with store.connect() as con:
        for title, query in QUERIES.items():
            relation = con.execute(query, {"run": run_id})
            tables[title] = ([d[0] for d in relation.description], relation.fetchall())
    return tables


def print_summary(store: ArtifactStore, run_id: str, console: Console | None = None) -> None:
    console = console or Console()
    for title, (columns, rows) in summary(store, run_id).items():
        table = Table(title=f"{title} — run {run_id}")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(str(v) for v in row))
        console.print(table)
