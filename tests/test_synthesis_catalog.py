"""Synthesis without executing candidates: the catalog, readers, drafts, dedup, diversity, importers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pyarrow as pa
import pytest

from backends.embedded.families._common import Probe
from schemas.store import ArtifactStore
from synthesis.cfunction import from_prototype
from synthesis.command import ANSWERERS, add_parser, flow_kwargs
from synthesis.dedup import DedupConfig, near_duplicates
from synthesis.diversify import migrated, perturbed_drafts, renamed, symbols
from synthesis.drafts import DraftError
from synthesis.drafts.verilog import ADAPTER_SUFFIX, VerilogDraft
from synthesis.expressions import ExpressionError, evaluate, fill
from synthesis.generate import TemplatePolicy, generate, make_generator
from synthesis.importers import ImporterUnavailable, import_benchmark
from synthesis.qa import REFERENCE
from synthesis.questions import parse_number, reset_values
from synthesis.recognize import source_drafts
from synthesis.requirement import SECTIONS, parse_instruction
from synthesis.scenarios import CatalogError, load_catalog, scenario_drafts
from synthesis.sources import SourceDocument, SourceError, from_directory, from_store, from_table, tables_in_run
from synthesis.verilog_source import parse_modules, top_module
from tasks.policies.base import Attempt, PolicyConfigError

SAMPLES = Path(__file__).resolve().parents[1] / "synthesis" / "samples"
LANDED = ("verilog", "asm", "embedded")
EDGE_V = """// Edge detector with the names a vendor IP uses.
module edge_detect #(parameter W = 3) (input wire clk_i, input wire rst_ni, input wire [W-1:0] sig_i,
    output reg [W-1:0] rise_o);
    reg [W-1:0] prev_q;
    always @(posedge clk_i) begin
        if (!rst_ni) begin prev_q <= {W{1'b0}}; rise_o <= {W{1'b0}}; end
        else begin rise_o <= sig_i & ~prev_q; prev_q <= sig_i; end
    end
endmodule
"""


def _drafts(domain: str, family: str) -> list:
    scenario = next(s for s in load_catalog(domain) if s.family == family)
    return scenario_drafts(scenario, None)


@pytest.mark.parametrize("domain", LANDED)
def test_catalog_scenarios_become_tasks_in_the_instruction_format(domain: str) -> None:
    scenarios = load_catalog(domain)
    assert len(scenarios) >= 5
    ids = set()
    for scenario in scenarios:
        for draft in scenario_drafts(scenario, None):
            task = draft.task("")  # the harness never depends on the candidate's code
            assert task.domain == domain and task.harness and task.interface
            sections = parse_instruction(task.instruction)
            assert tuple(sections) == SECTIONS and all(sections.values()), scenario.id
            ids.add(task.task_id)
    assert len(ids) == sum(len(s.points()) for s in scenarios)  # one task per grid point, no collisions


def test_catalog_errors_name_the_file_and_entry(tmp_path: Path) -> None:
    broken = tmp_path / "verilog.toml"
    broken.write_text('[[scenario]]\nid = "x1"\ndomain = "verilog"\nkind = "verilog"\nfamily = "f"\n')
    with pytest.raises(CatalogError, match="x1"):
        load_catalog("verilog", broken)
    broken.write_text(
        '[[scenario]]\nid = "x2"\ndomain = "asm"\nkind = "literal"\nfamily = "f"\ntitle = "t"\nscenario = "s"\n'
        'requirement = "r"\ncode = { seed = "" }\n'
    )
    with pytest.raises(CatalogError, match="x2 is for domain asm"):
        load_catalog("verilog", broken)
    assert load_catalog("no_such_domain") == []


def test_expressions_allow_arithmetic_only() -> None:
    assert evaluate("clk_mhz * 1000000 // (16 * baud)", {"clk_mhz": 50, "baud": 115200}) == 27
    assert evaluate("clog2(27)", {}) == 5 and evaluate("hex(49)", {}) == "31"
    assert evaluate("'odd' if odd else 'even'", {"odd": 1}) == "odd"
    for bad in ("__import__('os')", "x.y", "open('f')", "[1, 2]"):
        with pytest.raises(ExpressionError):
            evaluate(bad, {"x": 1})
    assert fill("module m; $display(\"${w}\"); endmodule", {"w": 8}) == 'module m; $display("8"); endmodule'
    with pytest.raises(ExpressionError, match="unknown parameter"):
        fill("${nope}", {})


def test_verilog_reader_takes_real_world_headers() -> None:
    non_ansi = """module fifo_flags(clk, rst, count, full);
    parameter DEPTH = 16;
    input clk, rst;
    input [$clog2(DEPTH):0] count;
    output full;
    assign full = count == DEPTH;
endmodule"""
    (module,) = parse_modules(non_ansi)
    assert [(p.name, p.direction, p.width) for p in module.ports] == [
        ("clk", "input", 1), ("rst", "input", 1), ("count", "input", 5), ("full", "output", 1)]  # fmt: skip
    edge = top_module(parse_modules(EDGE_V))
    assert edge.clock == "clk_i" and edge.reset == ("rst_ni", True) and edge.ports[2].width == 3
    with pytest.raises(DraftError, match="inout"):
        parse_modules("module io(inout [7:0] pad); endmodule")
    with pytest.raises(DraftError, match="not in the file: sub"):
        top_module(parse_modules("module top(input a, output b); sub u (.a(a), .b(b)); endmodule"))


def test_c_prototypes_map_to_array_contracts() -> None:
    f = from_prototype("uint16_t", "crc", "const uint8_t *buf, size_t len")
    assert f.prototype() == "uint16_t crc(const uint8_t *buf, size_t n)" and f.arrays[0].count == "n"
    with pytest.raises(DraftError, match="not supported"):
        from_prototype("long", "f", "int x")
    with pytest.raises(DraftError, match="without a length"):
        from_prototype("int", "f", "const int *p")


def test_source_rows_need_path_language_content(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="content"):
        from_table(pa.table({"path": ["a.v"], "language": ["verilog"]}), "curation/run_id=r1")
    (tmp_path / "rtl").mkdir()
    (tmp_path / "rtl" / "edge.v").write_text(EDGE_V)
    (tmp_path / "snippets.jsonl").write_text(json.dumps(
        {"path": "paper#l1", "language": "SystemVerilog", "content": "module m; endmodule", "origin": "literature",
         "context": "Listing 1"}) + "\n")  # fmt: skip
    documents = from_directory(tmp_path)
    assert {(d.path, d.normalized_language, d.origin) for d in documents} == {
        ("rtl/edge.v", "verilog", "repo"), ("paper#l1", "verilog", "literature")}  # fmt: skip


def test_upstream_tables_are_read_by_their_columns(store: ArtifactStore) -> None:
    store.write("curated_files", "cur-1", pa.table({
        "file_id": ["f1"], "repo": ["debian:ip"], "origin": ["debian"], "path": ["rtl/edge.v"], "content": [EDGE_V],
        "language": ["verilog"], "license_spdx": ["MIT"]}))  # fmt: skip
    store.write("literature_snippets", "lit-1", pa.table({
        "snippet_id": ["s1", "s2"], "doc_id": ["d1", "d1"], "page": [3, 4], "block": [1, 2], "language": ["c", "c"],
        "code": ["int f(void) { return 1; }", "int g( {"], "path": ["ocr", "ocr"], "verdict": ["verified", "rejected"],
        "context": ["", ""]}))  # fmt: skip
    assert tables_in_run(store, "cur-1") == ["curated_files"]
    assert tables_in_run(store, "lit-1") == ["literature_snippets"]
    (curated,) = from_store(store, "curated_files", "cur-1")
    assert (curated.origin, curated.id, curated.license) == ("repo", "debian:ip:rtl/edge.v", "MIT")
    (snippet,) = from_store(store, "literature_snippets", "lit-1")  # the rejected one is skipped
    assert (snippet.path, snippet.origin) == ("d1#page3.block1", "literature")
    assert snippet.content == "int f(void) { return 1; }"


def test_sources_become_drafts_or_drops_with_reasons() -> None:
    edge = SourceDocument(path="rtl/edge.v", language="verilog", content=EDGE_V)
    (draft,), drops = source_drafts(edge, LANDED)
    assert isinstance(draft, VerilogDraft) and draft.needs_adapter and not drops
    harness = draft.task(EDGE_V).harness
    assert f"edge_detect{ADAPTER_SUFFIX}" in harness and ".rst_ni(~rst)" in harness
    assert "module edge_detect_ref" in harness
    assert "Rising" not in draft.requirement.requirement and "vendor IP" in draft.requirement.requirement
    c_file = "#include <stdint.h>\n#include <stddef.h>\nuint32_t sum8(const uint8_t *p, size_t n) {\n" \
             "    uint32_t s = 0; for (size_t i = 0; i < n; i++) s += p[i]; return s;\n}\n"  # fmt: skip
    drafts, drops = source_drafts(SourceDocument(path="fw/sum.c", language="c", content=c_file), LANDED)
    assert {d.domain for d in drafts} == {"asm", "embedded"} and not drops
    for document, reason in [
        (SourceDocument(path="k.py", language="python", content="x = 1"), "no synthesis path for python"),
        (SourceDocument(path="m.S", language="asm", content="ret"), "without a C reference model"),
        (SourceDocument(path="p.c", language="c", content="int main(void) { return 0; }"), "main()"),
        (SourceDocument(path="w.v", language="verilog", content="module w(inout x); endmodule"), "inout"),
    ]:
        drafts, drops = source_drafts(document, LANDED)
        assert not drafts and reason in drops[0][1]


def test_dedup_drops_near_copies_and_keeps_real_variants() -> None:
    debounce = _drafts("verilog", "debounce")
    a, b = debounce[0].seed, debounce[1].seed  # n = 3 vs n = 4: other constants, other counter width
    copy = a.replace("// ", "/* reformatted */ // ").replace("    ", "  ")
    verdicts = near_duplicates([("a", a), ("b", b), ("copy", copy), ("a", a)], DedupConfig())
    assert verdicts == [None, None, "a", "a"]


def test_rename_is_consistent_across_requirement_code_and_harness() -> None:
    draft = _drafts("verilog", "watchdog")[0]
    variant = renamed(draft, "plc")
    task = variant.task(variant.seed)
    assert symbols(variant) == ["plc_watchdog"] and variant.params["rename"] == "plc"
    for text in (task.interface, task.reference, task.harness, *task.environment.values()):
        assert "watchdog" not in text.replace("plc_watchdog", "")
    sections = parse_instruction(task.instruction)
    assert "module plc_watchdog" in sections["Interface constraints"]
    assert "Module plc_watchdog:" in sections["Requirement"] and "Hardware watchdog" in sections["Requirement"]
    probes = renamed(_drafts("embedded", "usart_baud_config")[0], "drv")
    assert "drv_usart2_init();" in probes.steps and any(isinstance(s, Probe) for s in probes.steps)


def test_perturbation_leaves_the_grid_and_migration_changes_language() -> None:
    scenario = next(s for s in load_catalog("verilog") if s.family == "crc8_serial")
    variants = perturbed_drafts(scenario, 3, seed=1)
    grid = {tuple(sorted(p.items())) for p in scenario.points()}
    assert variants and all(tuple(sorted((k, int(v)) for k, v in d.params.items() if k in scenario.grid)) not in grid
                            for d in variants)  # fmt: skip
    crc = _drafts("asm", "crc16_reflected")[0]
    moved = migrated(crc, "embedded")
    assert (moved.domain, moved.origin, moved.source_id) == ("embedded", "migration", crc.draft_id)
    assert moved.function.max_n <= 64 and "STM32F407" in moved.requirement.platform
    with pytest.raises(DraftError):
        migrated(_drafts("verilog", "debounce")[0], "asm")


class _WrongPolicy:
    name = "wrong"
    fingerprint = "wrong-v1"

    def act(self, episodes: list) -> list[Attempt]:
        return [Attempt("", "module nothing; endmodule\n") for _ in episodes]


def test_generation_goes_through_any_policy() -> None:
    drafts = _drafts("verilog", "priority_arbiter")[:2]
    generated, failed = generate(drafts, TemplatePolicy())
    assert not failed and [g.task.reference for g in generated] == [d.seed for d in drafts]
    generated, _ = generate(drafts, _WrongPolicy())  # type: ignore[arg-type]
    assert {g.task.reference for g in generated} == {"module nothing; endmodule\n"}
    with pytest.raises(PolicyConfigError):
        make_generator("openai", options={"base_url": "", "model": ""})


def test_importers_read_the_benchmark_formats() -> None:
    bench = SAMPLES / "benchmarks"
    (v2,), report = import_benchmark("verilogeval", bench / "verilogeval")
    assert report.imported == 1 and v2.environment["top"] == "TopModule" and "module TopModule" in v2.reference
    assert "TB_RESULT mismatches=%0d cycles=%0d\", stats1.errors, stats1.clocks" in v2.harness
    assert "module RefModule" in v2.harness and tuple(parse_instruction(v2.instruction)) == SECTIONS
    (v1,), _ = import_benchmark("verilogeval", bench / "verilogeval_v1")
    assert v1.environment["top"] == "top_module" and "larger of the two" in v1.instruction
    (rtllm,), _ = import_benchmark("rtllm", bench / "rtllm")
    assert "module tb;" in rtllm.harness and "TB_RESULT mismatches=%0d cycles=%0d\", 0, 0" in rtllm.harness
    assert "professional Verilog designer" not in rtllm.instruction
    with pytest.raises(FileNotFoundError):
        import_benchmark("rtllm", bench / "missing")
    with pytest.raises(ValueError, match="unknown benchmark format"):
        import_benchmark("humaneval", bench)
    try:
        (kb,), _ = import_benchmark("kernelbench", bench / "kernelbench")
    except ImporterUnavailable:
        return  # the gpu domain is not importable here
    assert kb.domain == "gpu" and kb.params["problem_id"] == "901"


def test_answers_and_reset_branches_are_read_as_numbers() -> None:
    assert [parse_number(t, 8) for t in ("42", "0x2A", "8'd42", "8'b0010_1010", "`42`.", "-1", "forty")] == [
        42, 42, 42, 42, 42, 255, None]  # fmt: skip
    values = reset_values(EDGE_V, "rst_ni", reset_low=True)
    assert values == {"prev_q": 0, "rise_o": 0}
    assert reset_values(EDGE_V, "rst_ni", reset_low=False) == {}  # wrong polarity: no reading


def test_command_line_arguments_map_to_the_flow() -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["synthesis", "--domains", "asm", "--per-scenario", "0", "--generator", "openai",
                              "--generator-option", "model=m", "--benchmark", "rtllm=/data/RTLLM",
                              "--no-mutation-check"])  # fmt: skip
    kwargs = flow_kwargs(args)
    assert kwargs["per_scenario"] is None and kwargs["generator_options"] == {"model": "m"}
    assert kwargs["benchmarks"] == {"rtllm": "/data/RTLLM"} and kwargs["mutation_check"] is False
    assert ANSWERERS[0] == REFERENCE and kwargs["answerer"] == REFERENCE
