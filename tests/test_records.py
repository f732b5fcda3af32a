"""Records are Arrow schemas too: round trips, and bad rows named by source and row."""

from __future__ import annotations

import pyarrow as pa
import pytest

from schemas.artifacts import ExecutionResult, Task, Trajectory, Turn
from schemas.outcome import Outcome
from schemas.record import RecordError


def _result(outcome: Outcome = Outcome.PASS) -> ExecutionResult:
    return ExecutionResult(
        request_id="r1", outcome=outcome, diagnostic="ok", metrics={"cells": 12.0}, duration_s=0.5,
        tool_versions={"yosys": "0.23"},
    )


def test_turn_round_trips_through_arrow() -> None:
    turn = Turn(
        stage="ecot_rollouts", parent_ids=["t1"], turn_id="u1", trajectory_id="j1", task_id="t1", domain="verilog",
        turn_index=0, policy="perturb", observation="", reasoning="r", code="module m; endmodule",
        fault_kinds=["syntax_slip"], result=_result(Outcome.COMPILATION_ERROR),
    )
    table = Turn.to_table([turn])
    assert table.schema == Turn.arrow_schema()
    assert table.schema.field("result").type.get_field_index("metrics") >= 0
    assert Turn.from_table(table) == [turn]


def test_every_artifact_has_a_table_and_schema() -> None:
    for kind in (Task, ExecutionResult, Turn, Trajectory):
        assert kind.TABLE
        assert isinstance(kind.arrow_schema(), pa.Schema)


def test_bad_row_names_source_row_and_field() -> None:
    table = ExecutionResult.to_table([_result(), _result()])
    outcomes = pa.array(["PASS", "EXPLODED"])
    broken = table.set_column(table.schema.get_field_index("outcome"), "outcome", outcomes)
    with pytest.raises(RecordError, match=r"(?s)results\.parquet: row 1 .*outcome"):
        ExecutionResult.from_table(broken, source="results.parquet")


def test_missing_columns_are_named() -> None:
    with pytest.raises(RecordError, match="missing columns"):
        Task.from_table(pa.table({"task_id": ["x"]}), source="tasks.parquet")


def test_infra_error_is_never_a_label() -> None:
    assert not Outcome.INFRA_ERROR.is_label
    assert all(o.is_label for o in Outcome if o is not Outcome.INFRA_ERROR)
