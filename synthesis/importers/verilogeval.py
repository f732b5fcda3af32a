"""VerilogEval (NVlabs) into Verilog tasks.

Two layouts:
- v2 (`dataset_spec-to-rtl/` or `dataset_code-complete-iccad2023/`): `ProbNNN_name_prompt.txt` (the
  spec), `ProbNNN_name_ref.sv` (module `RefModule`), `ProbNNN_name_test.sv` (module `tb`, comparing
  `RefModule` with the candidate `TopModule` and printing `Mismatches: N in M samples` at the end);
- v1 (`VerilogEval_Human.jsonl`/`_Machine.jsonl`): rows with `task_id`, `prompt` (the
  `top_module` header), `canonical_solution` (its body) and `test` (the testbench, with
  `reference_module` inside), plus an optional descriptions file (`detail_description`).

The testbench is kept as VerilogEval wrote it, with one statement added after its final mismatch
report: the same counts in the line our Verilog backend reads. The reference becomes the task's
golden (renamed to the candidate's module name); the harness holds the testbench and `RefModule`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from schemas.artifacts import Task
from synthesis.importers import ImportReport
from synthesis.importers._verilog import result_line, verilog_task

BENCHMARK = "verilogeval"
_MISMATCHES = re.compile(r'\$display\(\s*"Mismatches: %1d in %1d samples"\s*,\s*([^,]+?)\s*,\s*([^)]+?)\s*\)\s*;')
VERIFICATION = ("VerilogEval's own testbench: its stimulus drives the candidate and the reference module, outputs are "
                "compared on both clock edges, and the run must end with zero mismatched samples")  # fmt: skip


def patch_testbench(test: str) -> str | None:
    """The testbench with our result line after VerilogEval's mismatch report; None when it has none."""
    found = _MISMATCHES.search(test)
    if found is None:
        return None
    return test[: found.end()] + "\n\t\t" + result_line(found.group(1), found.group(2)) + test[found.end() :]


def _v2(root: Path, report: ImportReport) -> list[Task]:
    tasks = []
    for prompt in sorted(root.rglob("*_prompt.txt")):
        report.seen += 1
        stem = prompt.name.removesuffix("_prompt.txt")
        ref, test = prompt.with_name(f"{stem}_ref.sv"), prompt.with_name(f"{stem}_test.sv")
        if not ref.exists() or not test.exists():
            report.skipped["no reference or testbench file"] += 1
            continue
        harness = patch_testbench(test.read_text())
        if harness is None:
            report.skipped["testbench prints no mismatch count"] += 1
            continue
        reference = re.sub(r"\bRefModule\b", "TopModule", ref.read_text())
        tasks.append(verilog_task(BENCHMARK, stem, "TopModule", prompt.read_text(), reference,
                                  harness + "\n" + ref.read_text(), VERIFICATION))  # fmt: skip
    return tasks


def _v1(path: Path, report: ImportReport) -> list[Task]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not rows or "canonical_solution" not in rows[0]:
        return []
    descriptions: dict[str, str] = {}
    for other in path.parent.glob("*Description*.jsonl"):
        for line in other.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                descriptions[row["task_id"]] = row.get("detail_description") or row.get("simple_description", "")
    tasks = []
    for row in rows:
        report.seen += 1
        harness = patch_testbench(row["test"])
        if harness is None:
            report.skipped["testbench prints no mismatch count"] += 1
            continue
        spec = descriptions.get(row["task_id"]) or f"Complete module top_module:\n{row['prompt']}"
        tasks.append(verilog_task(BENCHMARK, row["task_id"], "top_module", spec,
                                  row["prompt"] + row["canonical_solution"], harness, VERIFICATION))  # fmt: skip
    return tasks


def import_verilogeval(path: Path) -> tuple[list[Task], ImportReport]:
    """Every problem under `path` (a v2 dataset directory, a v1 JSON-lines file, or a directory of either)."""
    report = ImportReport()
    tasks = []
    if path.is_file():
        tasks += _v1(path, report)
    else:
        tasks += _v2(path, report)
        for jsonl in sorted(path.rglob("*.jsonl")):
            if "Description" not in jsonl.name:
                tasks += _v1(jsonl, report)
    report.imported = len(tasks)
    return tasks, report
