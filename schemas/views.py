"""Convenience views of the analyst catalog, over the stored tables (docs/catalog.md documents each).

A view names the tables it reads and is created only once all of them exist, so a view over a stage
that has not landed yet (`dedup`) appears with that table's first part and never breaks the catalog
before. The SQL is plain DuckDB over the per-table views the store creates; every view keeps
`run_id`, so an analyst compares runs (policies, seeds) side by side.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

log = logging.getLogger(__name__)

# Whitespace tokens: a tokenizer-free length that is comparable across domains and policies.
_TOKENS = "CASE WHEN trim({col}) = '' THEN 0 ELSE len(string_split_regex(trim({col}), '\\s+')) END"


@dataclass(frozen=True)
class View:
    """`needs`: the tables (or earlier views) the SQL reads; `doc`: one line for docs/catalog.md."""

    name: str
    needs: tuple[str, ...]
    doc: str
    sql: str


VIEWS: tuple[View, ...] = (
    View(
        "reasoning_lengths",
        ("turns",),
        "one row per turn: outcome and the length of its reasoning (thinking) and code",
        f"""
        SELECT run_id, domain, policy, task_id, trajectory_id, turn_id, turn_index,
               result.outcome AS outcome, len(fault_kinds) AS faults,
               length(reasoning) AS reasoning_chars, {_TOKENS.format(col="reasoning")} AS reasoning_tokens,
               length(code) AS code_chars, result.duration_s AS duration_s
        FROM turns""",
    ),
    View(
        "pass_rate_by_domain_turn",
        ("turns",),
        "per run, domain and turn index: turns run, passed, pass rate, and solved_by_turn (pass@turn)",
        """
        WITH per_turn AS (
            SELECT run_id, domain, turn_index, count(*) AS turns,
                   count(*) FILTER (result.outcome = 'PASS') AS passed
            FROM turns GROUP BY ALL),
        started AS (SELECT run_id, domain, turns AS trajectories FROM per_turn WHERE turn_index = 0)
        SELECT p.run_id, p.domain, p.turn_index, s.trajectories, p.turns, p.passed,
               round(p.passed / p.turns, 4) AS pass_rate,
               round(sum(p.passed) OVER (PARTITION BY p.run_id, p.domain ORDER BY p.turn_index)
                     / s.trajectories, 4) AS solved_by_turn
        FROM per_turn p JOIN started s USING (run_id, domain)""",
    ),
    View(
        "outcome_mix_by_domain",
        ("turns",),
        "per run and domain: turns by outcome and their share of the domain's turns",
        """
        SELECT run_id, domain, result.outcome AS outcome, count(*) AS turns,
               round(count(*) / sum(count(*)) OVER (PARTITION BY run_id, domain), 4) AS share
        FROM turns GROUP BY run_id, domain, result.outcome""",
    ),
    View(
        "fault_kind_first_outcome",
        ("turns",),
        "per run, domain and injected fault kind (turn 0 of perturb rollouts): the first outcome it led to",
        """
        WITH injected AS (
            SELECT run_id, domain, unnest(fault_kinds) AS fault_kind, result.outcome AS first_outcome,
                   len(fault_kinds) AS faults
            FROM turns WHERE turn_index = 0)
        SELECT run_id, domain, fault_kind, first_outcome, count(*) AS trajectories,
               count(*) FILTER (faults = 1) AS single_fault_trajectories
        FROM injected GROUP BY ALL""",
    ),
    View(
        "thinking_length_by_domain",
        ("reasoning_lengths",),
        "per run, domain and policy: reasoning length in chars (min, p10, median, mean, p90, max) and tokens",
        """
        SELECT run_id, domain, policy, count(*) AS turns,
               min(reasoning_chars) AS chars_min, quantile_cont(reasoning_chars, 0.1) AS chars_p10,
               median(reasoning_chars) AS chars_median, round(avg(reasoning_chars), 1) AS chars_mean,
               quantile_cont(reasoning_chars, 0.9) AS chars_p90, max(reasoning_chars) AS chars_max,
               median(reasoning_tokens) AS tokens_median, round(avg(reasoning_tokens), 1) AS tokens_mean
        FROM reasoning_lengths GROUP BY ALL""",
    ),
    View(
        "mutation_score_by_kind",
        ("seed_checks",),
        "per run, domain and fault kind: mutants the seed harnesses ran and caught",
        """
        SELECT run_id, domain, fault_kind, count(*) AS mutants, count(*) FILTER (caught) AS caught,
               round(count(*) FILTER (caught) / count(*), 4) AS catch_rate
        FROM seed_checks WHERE fault_kind <> '' GROUP BY ALL""",
    ),
    View(
        "dedup_cluster_sizes",
        ("dedup",),
        "per run and near-duplicate cluster (needs the `dedup` table): its size and the sources in it",
        """
        SELECT run_id, cluster_id, count(*) AS size, count(DISTINCT source) AS sources
        FROM dedup GROUP BY ALL""",
    ),
    View(
        "dedup_savings_by_source",
        ("dedup",),
        "per run and source (needs the `dedup` table): documents in, kept, dropped as duplicates, share saved",
        """
        SELECT run_id, source, count(*) AS documents, count(*) FILTER (kept) AS kept,
               count(*) FILTER (NOT kept) AS dropped, round(count(*) FILTER (NOT kept) / count(*), 4) AS saved_share
        FROM dedup GROUP BY ALL""",
    ),
)


def create_views(con: duckdb.DuckDBPyConnection, tables: set[str]) -> list[str]:
    """Create every view whose inputs exist; returns the names created.

    A view whose SQL no longer binds (a table changed its columns) is logged and left out, so the
    per-table views, the data itself, stay usable; `test_operators` checks every view binds.
    """
    available, created = set(tables), []
    for view in VIEWS:
        if not set(view.needs) <= available:
            continue
        try:
            con.execute(f"CREATE OR REPLACE VIEW {view.name} AS {view.sql}")
        except duckdb.Error as err:
            log.warning("catalog view %s not created (check its inputs %s): %s", view.name, view.needs, err)
            continue
        available.add(view.name)
        created.append(view.name)
    return created
