"""RTLLM (HKUST) into Verilog tasks.

A design is a directory holding `design_description.txt` (the spec, wrapped in a chat prompt),
`verified_<name>.v` (the reference) and `testbench.v` (a module with no ports that instantiates the
design and ends by printing "Your Design Passed" or a failure count). The testbench is kept; its top
module is renamed `tb` (what our Verilog backend elaborates) and each pass or failure message gains
our result line beside it, inside a begin/end so it stays one statement wherever it stood. A design
whose testbench reads data files, or prints neither message, is skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from schemas.artifacts import Task
from synthesis.importers import ImportReport
from synthesis.importers._verilog import result_line, verilog_task
from synthesis.verilog_source import parse_modules, strip_comments

BENCHMARK = "rtllm"
_PASS = re.compile(r'\$display\s*\(\s*"[^"]*Passed[^"]*"\s*\)\s*;')
_FAIL = re.compile(r'\$display\s*\(\s*"[^"]*(?:[Ff]ail|Error|error)[^"]*"[^;]*\)\s*;')
_FILES = re.compile(r"\$(readmem[bh]|fopen|fscanf)\b")
_PROMPT_NOISE = ("Please act as a professional Verilog designer.", "Give me the complete code.")
VERIFICATION = ("RTLLM's own testbench: directed and random stimulus with expected values; it must report that the "
                "design passed")


def patch_testbench(test: str) -> str | None:
    """The testbench with its top module named `tb` and our result line beside its verdict messages."""
    if _FILES.search(test) or not _PASS.search(test):
        return None
    tops = [m.name for m in parse_modules(test) if not m.ports]
    if len(tops) != 1:
        return None
    test = re.sub(rf"\bmodule\s+{re.escape(tops[0])}\b", "module tb", test, count=1)
    test = _PASS.sub(lambda m: f"begin {m.group(0)} {result_line('0', '0')} end", test)
    return _FAIL.sub(lambda m: f"begin {m.group(0)} {result_line('1', '0')} end", test)


def _description(text: str) -> str:
    for noise in _PROMPT_NOISE:
        text = text.replace(noise, "")
    return " ".join(text.split())


def import_rtllm(path: Path) -> tuple[list[Task], ImportReport]:
    """Every design directory under `path` (one holding a testbench.v)."""
    report = ImportReport()
    tasks = []
    for bench in sorted(path.rglob("testbench.v")):
        report.seen += 1
        folder = bench.parent
        references = sorted(folder.glob("verified_*.v"))
        description = folder / "design_description.txt"
        if not references or not description.exists():
            report.skipped["no verified reference or description"] += 1
            continue
        reference = references[0].read_text()
        modules = parse_modules(strip_comments(reference))
        if not modules:
            report.skipped["reference defines no module"] += 1
            continue
        harness = patch_testbench(bench.read_text())
        if harness is None:
            report.skipped["testbench reads files or prints no verdict"] += 1
            continue
        tasks.append(verilog_task(BENCHMARK, folder.name, modules[-1].name, _description(description.read_text()),
                                  reference, harness, VERIFICATION))  # fmt: skip
    report.imported = len(tasks)
    return tasks, report
