"""Repo recall: rules per domain, the classifier finding what the rules miss, repository expansion."""

from __future__ import annotations

import importlib.metadata as metadata
from pathlib import Path

import pytest

from backends.domain import get_domain
from curation.domains import match_rules
from curation.recall import STEP_CLASSIFIER, STEP_EXPANSION, STEP_RULES, RecallConfig, recall
from curation.records import CodeFile


@pytest.mark.parametrize(("path", "content", "domain"), [
    ("rtl/fifo.sv", "module fifo #(parameter W = 8) (input clk);\nendmodule\n", "verilog"),
    ("alu.vhd", "library ieee;\nentity alu is\n port (a : in bit);\nend alu;\n", "vhdl"),
    ("k.cu", "__global__ void add(float *x) { x[threadIdx.x] += 1; }\n", "cuda"),
    ("ops.py", "import triton\n\n@triton.jit\ndef k(x_ptr):\n    pass\n", "triton"),
    ("top.cpp", "void top(int a[8]) {\n#pragma HLS PIPELINE\n}\n", "hls"),
    ("main.c", "#include \"stm32f4xx.h\"\nint main(void) { for (;;) {} }\n", "embedded_c"),
    ("flash.ld", "MEMORY\n{\n  FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 1M\n}\n", "linker_script"),
    ("armelf.x", "OUTPUT_FORMAT(\"elf32-littlearm\")\nSECTIONS { }\n", "linker_script"),
    ("part.py", "import cadquery as cq\nbox = cq.Workplane('XY').box(1, 2, 3)\n", "cadquery"),
    ("start.S", "  .syntax unified\n  .global Reset_Handler\nReset_Handler:\n", "assembly"),
    ("top.xdc", "set_property PACKAGE_PIN W5 [get_ports clk]\n", "constraints"),
    ("synth.ys", "read_verilog top.v\nsynth -top top\n", "synthesis_script"),
])
def test_rules_recall_each_domain(path: str, content: str, domain: str) -> None:
    found = match_rules(path, content)
    assert found is not None and found.domain == domain and found.reason


@pytest.mark.parametrize(("path", "content"), [
    ("proof.v", "Theorem plus_comm : forall n m, n + m = m + n.\nProof. lia. Qed.\n"),  # Coq, not Verilog
    ("app.py", "import json\n\ndef main():\n    print(json.dumps({}))\n"),
    ("notes.txt", "The module ends here.\n"),
])
def test_rules_leave_other_files(path: str, content: str) -> None:
    assert match_rules(path, content) is None


def _file(repo: str, path: str, content: str) -> CodeFile:
    return CodeFile(stage="test", file_id=CodeFile.make_id(repo, path), repo=repo, origin="dir", path=path,
                    content=content, language="other")


@pytest.fixture(scope="module")
def corpus() -> list[CodeFile]:
    """Verilog seed references (rule positives), ordinary Python (negatives), and a Verilog module
    hidden in a `.inc` file that no rule reads, beside a Makefile."""
    tasks = get_domain("verilog").seed_tasks(2)
    files = [_file("dir:rtl", f"rtl/{t.family}_{i}.v", t.reference) for i, t in enumerate(tasks[:-1])]
    files.append(_file("dir:rtl", "rtl/hidden.inc", tasks[-1].reference))
    files.append(_file("dir:rtl", "rtl/Makefile", "all:\n\tiverilog -o sim *.v\n"))
    rich = Path(str(metadata.distribution("rich").locate_file("rich")))
    files += [_file("dir:rich", p.name, p.read_text()) for p in sorted(rich.glob("*.py"))[:60]]
    return files


def test_three_steps_each_record_why(corpus: list[CodeFile]) -> None:
    result = recall(corpus, RecallConfig())
    by_path = {f.path: f for f in result.recalled}
    hidden, makefile = by_path.get("rtl/hidden.inc"), by_path.get("rtl/Makefile")
    assert hidden is not None and hidden.recall_step == STEP_CLASSIFIER and hidden.domain == "verilog"
    assert hidden.recall_score is not None and hidden.recall_score >= result.threshold
    assert makefile is not None and makefile.recall_step == STEP_EXPANSION
    assert "companion Makefile" in makefile.recall_reason
    rules = [f for f in result.recalled if f.recall_step == STEP_RULES]
    assert rules and all(f.path.endswith(".v") and "extension .v" in f.recall_reason for f in rules)
    assert not any(f.repo == "dir:rich" for f in result.recalled), "ordinary Python was recalled"
    assert result.counts["recalled"] == len(result.recalled) == len(rules) + 2
    assert set(result.decisions) == {f.file_id for f in corpus}
