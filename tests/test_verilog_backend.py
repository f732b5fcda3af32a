"""Each outcome class the Verilog domain produces, from real Icarus/Verilator/Yosys runs."""

from __future__ import annotations

import re

from schemas.artifacts import Task
from schemas.outcome import Outcome
from tests.conftest import run_verilog


def test_golden_reference_passes_with_synthesis_metrics(counter_task: Task) -> None:
    result = run_verilog(counter_task.reference, counter_task)
    assert result.outcome is Outcome.PASS, result.diagnostic
    assert result.metrics["mismatches"] == 0
    assert result.metrics["cells"] > 0 and result.metrics["logic_depth"] >= 1
    assert result.metrics["equiv_proven"] == 1.0
    assert result.tool_versions["iverilog"].startswith("Icarus Verilog")


def test_syntax_slip_is_compilation_error_with_iverilog_words(counter_task: Task) -> None:
    broken = counter_task.reference.replace(";", "", 1)
    result = run_verilog(broken, counter_task)
    assert result.outcome is Outcome.COMPILATION_ERROR
    assert re.search(r"counter\.v:\d+: syntax error", result.diagnostic)


def test_wrong_logic_is_test_failure_with_mismatch_count(counter_task: Task) -> None:
    wrong = counter_task.reference.replace("count + 4'd1", "count + 4'd2")
    assert wrong != counter_task.reference
    result = run_verilog(wrong, counter_task)
    assert result.outcome is Outcome.TEST_FAILURE
    assert result.metrics["mismatches"] > 0
    assert "MISMATCH cycle=" in result.diagnostic and "TB_RESULT mismatches=" in result.diagnostic


def test_zero_delay_loop_is_timeout(counter_task: Task) -> None:
    hang = counter_task.reference.replace(
        "endmodule",
        "integer spin;\n    always @(posedge clk) begin spin = 0; while (spin >= 0) spin = spin + 1; end\nendmodule",
    )
    result = run_verilog(hang, counter_task, timeout_s=3)
    assert result.outcome is Outcome.TIMEOUT
    assert "did not reach $finish" in result.diagnostic


def test_fatal_in_candidate_is_runtime_error(counter_task: Task) -> None:
    fatal = counter_task.reference.replace(
        "endmodule", "always @(posedge clk) if (count == 4'd2) $fatal(1, \"count reached 2\");\nendmodule"
    )
    result = run_verilog(fatal, counter_task)
    assert result.outcome is Outcome.RUNTIME_ERROR
    assert "count reached 2" in result.diagnostic


def test_output_flood_is_resource_exceeded(counter_task: Task) -> None:
    flood = counter_task.reference.replace(
        "endmodule",
        "integer i;\n    initial for (i = 0; i < 100000000; i = i + 1) "
        "$display(\"flooding the log with a long line of text ...................\");\nendmodule",
    )
    result = run_verilog(flood, counter_task)
    assert result.outcome is Outcome.RESOURCE_EXCEEDED


def test_file_escape_is_sandbox_violation(counter_task: Task) -> None:
    escape = counter_task.reference.replace(
        "endmodule", "integer fd;\n    initial fd = $fopen(\"/etc/passwd\", \"w\");\nendmodule"
    )
    result = run_verilog(escape, counter_task)
    assert result.outcome is Outcome.SANDBOX_VIOLATION
    assert "/etc/passwd" in result.diagnostic


def test_verilator_rejection_is_compilation_error(counter_task: Task) -> None:
    mixed = counter_task.reference.replace("count <= 4'd0;", "count = 4'd0;", 1)
    assert mixed != counter_task.reference
    result = run_verilog(mixed, counter_task)
    assert result.outcome is Outcome.COMPILATION_ERROR
    assert "%Error" in result.diagnostic or "%Warning" in result.diagnostic
