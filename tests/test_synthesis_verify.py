"""Synthesis on the real backends, in-process: every draft kind verifies, wrong code is dropped, QA
answers are confirmed or refuted by execution, imported benchmarks pass, and the stage counts add up."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from backends.domain import get_domain
from schemas.artifacts import ExecutionRequest, ExecutionResult
from schemas.outcome import Outcome
from synthesis.drafts import Draft
from synthesis.generate import generate, make_generator
from synthesis.importers import import_benchmark
from synthesis.pipeline import SynthesisConfig, synthesize
from synthesis.qa import ReferenceAnswerer, check_answers, make_answerer
from synthesis.questions import Question, questions_for
from synthesis.recognize import source_drafts
from synthesis.scenarios import load_catalog, scenario_drafts
from synthesis.sources import SourceDocument
from synthesis.verify import verify

RunBatch = Callable[[list[ExecutionRequest]], list[ExecutionResult]]
BENCH = Path(__file__).resolve().parents[1] / "synthesis" / "samples" / "benchmarks"
CURATED_V = """// Pulse stretcher: holds a one-cycle alarm for three cycles so a slow PLC input sees it.
module stretch (input clk, input rst_n, input pulse, output reg held);
    reg [1:0] left;
    always @(posedge clk) begin
        if (!rst_n) begin left <= 2'd0; held <= 1'b0; end
        else if (pulse) begin left <= 2'd2; held <= 1'b1; end
        else if (left != 2'd0) begin left <= left - 2'd1; held <= 1'b1; end
        else held <= 1'b0;
    end
endmodule
"""
CURATED_C = """#include <stddef.h>
#include <stdint.h>
/* Count set bits of a diagnostic bitmap (one bit per failed I/O channel). */
uint32_t failed_channels(const uint8_t *map, size_t n) {
    uint32_t count = 0;
    for (size_t i = 0; i < n; i++) for (uint8_t b = map[i]; b; b &= (uint8_t)(b - 1u)) count++;
    return count;
}
"""


@pytest.fixture(scope="module")
def run_batch() -> Iterator[RunBatch]:
    with ThreadPoolExecutor(2) as pool:
        yield lambda requests: list(pool.map(lambda r: get_domain(r.task.domain).execute(r), requests))


def _draft(domain: str, family: str, index: int = 0) -> Draft:
    scenario = next(s for s in load_catalog(domain) if s.family == family)
    return scenario_drafts(scenario, None)[index]


def _wrong(code: str, domain: str) -> str:
    """A plausible bug per kind: a constant or an operator changed."""
    swaps = {"verilog": [("8'd0", "8'd1"), ("count + ", "count - "), ("~prev_q", "prev_q"), ("2'd2", "2'd1")],
             "asm": [("shrq", "shlq"), ("rolw", "rorw"), ("addq\t%rdx", "subq\t%rdx")],
             "embedded": [("sum2 += sum1", "sum2 += 2u * sum1"), ("7UL << 8U", "5UL << 8U")]}  # fmt: skip
    for old, new in swaps[domain]:
        if old in code:
            return code.replace(old, new, 1)
    raise AssertionError(f"no bug to plant in {domain} code")


def test_every_draft_kind_verifies_and_wrong_code_is_dropped(run_batch: RunBatch) -> None:
    curated = SourceDocument(path="rtl/stretch.v", language="verilog", content=CURATED_V)
    drafts = [
        _draft("verilog", "crc8_serial"), _draft("verilog", "watchdog"), source_drafts(curated, ["verilog"])[0][0],
        _draft("asm", "inet_checksum"), _draft("embedded", "fletcher16"), _draft("embedded", "usart_baud_config"),
    ]  # fmt: skip
    good = [d.task(d.seed) for d in drafts]
    bad = [d.task(_wrong(d.seed, d.domain)) for d in drafts if d.family != "inet_checksum"]
    bad = [t.model_copy(update={"task_id": t.task_id + "-bug"}) for t in bad]
    result = verify(good + bad, run_batch, mutation_check=False)
    assert {t.task_id for t in result.kept} == {t.task_id for t in good}
    assert {f.task.task_id for f in result.failed} == {t.task_id for t in bad}
    assert {f.reason for f in result.failed} == {"golden TEST_FAILURE"} and all(f.diagnostic for f in result.failed)
    assert len(result.checks) == len(good) + len(bad) and {c.stage for c in result.checks} == {"synthesis"}


def test_mutation_check_scores_a_synthesized_harness(run_batch: RunBatch) -> None:
    task = _draft("asm", "peak_abs").task(_draft("asm", "peak_abs").seed)
    result = verify([task], run_batch, mutation_check=True)
    (kept,) = result.kept
    assert kept.mutation_score is not None and kept.mutation_score > 0.5 and kept.stage == "synthesis"
    assert len({c.fault_kind for c in result.checks} - {""}) >= 2  # gcc's output offers fewer sites than goldens


def test_qa_answers_are_confirmed_or_refuted_by_execution(run_batch: RunBatch) -> None:
    pairs = [(d, d.task(d.seed)) for d in (_draft("verilog", "pwm_shadow"), _draft("verilog", "sat_add"),
                                           _draft("asm", "crc16_reflected"), _draft("embedded", "ntc_celsius"),
                                           _draft("embedded", "tim2_tick_config"))]  # fmt: skip
    questions = [q for d, t in pairs for q in questions_for(d, t)]
    assert {q.kind for q in questions} == {"reset_value", "evaluate", "return_value", "register_value"}
    assert all(q.answer is not None for q in questions)
    chosen = [next(q for q in questions if q.kind == kind) for kind in sorted({q.kind for q in questions})]
    wrong = [Question(q.task, q.kind, q.text, str(int(q.answer) + 1), q.check, q.width) for q in chosen]  # type: ignore[arg-type]
    garbled = [replace(chosen[0], answer="about three")]
    qa, report = check_answers(chosen + wrong + garbled, ReferenceAnswerer(), run_batch)
    assert [p.verdict for p in qa] == ["confirmed"] * 4 + ["refuted"] * 4 + ["unverifiable"]
    assert [p.kept for p in qa] == [True] * 4 + [False] * 5 and report.questions == 9
    assert all(p.outcome is Outcome.TEST_FAILURE and p.diagnostic for p in qa[4:8]) and qa[8].outcome is None


def test_imported_benchmark_references_pass_on_our_tools(run_batch: RunBatch) -> None:
    tasks = import_benchmark("verilogeval", BENCH / "verilogeval")[0] + import_benchmark("rtllm", BENCH / "rtllm")[0]
    broken = [t.model_copy(update={"reference": t.reference.replace("4'h1", "4'h2").replace(
        "a[i] ^ b[i] ^ carry[i]", "a[i] ^ b[i]"), "task_id": t.task_id + "-bug"}) for t in tasks]  # fmt: skip
    result = verify(tasks + broken, run_batch, mutation_check=False)
    assert {t.task_id for t in result.kept} == {t.task_id for t in tasks}
    assert len(result.failed) == 2 and all("TB_RESULT mismatches=" in f.diagnostic for f in result.failed)


def test_pipeline_accounts_for_every_candidate(run_batch: RunBatch) -> None:
    sources = [
        SourceDocument(path="rtl/stretch.v", language="verilog", content=CURATED_V),
        SourceDocument(path="paper#3", language="c", content=CURATED_C, origin="literature", context="Listing 3."),
        SourceDocument(path="tools/plot.py", language="python", content="print(1)"),
    ]
    config = SynthesisConfig(domains=("verilog", "asm", "embedded"), scenarios_per_domain=1, perturbations=1,
                             qa=False, mutation_check=False)  # fmt: skip
    out = synthesize(config, sources, run_batch)
    origins = {(o.domain, o.origin) for o in out.origins}
    assert {("verilog", "scenario"), ("verilog", "repo"), ("verilog", "perturbation"), ("asm", "literature"),
            ("embedded", "literature"), ("embedded", "migration"), ("asm", "migration")} <= origins  # fmt: skip
    drafts = sum(v for k, v in out.counts.items() if " drafts: " in k)
    generated = sum(v for k, v in out.counts.items() if k.endswith(" generated"))
    verified = sum(v for k, v in out.counts.items() if k.endswith(" verified"))
    by_step = {step: sum(d.step == step for d in out.drops) for step in ("draft", "dedup", "verify")}
    assert verified == len(out.tasks) == len(out.origins)
    assert generated == verified + by_step["verify"] + by_step["dedup"]
    assert drafts == generated + by_step["draft"] - 1  # the python file never became a draft
    assert out.counts["sources dropped: no synthesis path for python sources into verilog, asm, embedded"] == 1
    assert all(t.stage == "synthesis" and t.parent_ids for t in out.tasks)


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str], dict[str, str]]]:
    """A local OpenAI-compatible endpoint: replies[kind] by whether the prompt asks a question; records prompts."""
    prompts: list[str] = []
    replies: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = body["messages"][-1]["content"]
            prompts.append(prompt)
            content = replies["question" if "what value" in prompt.lower() else "code"]
            payload = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", prompts, replies
    server.shutdown()


def test_a_model_writes_seeds_and_answers_questions(run_batch: RunBatch, loopback: tuple) -> None:
    url, prompts, replies = loopback
    options = {"base_url": url, "model": "loopback"}
    draft = _draft("verilog", "priority_arbiter")
    replies["code"] = f"Scan from the highest index down.\n```verilog\n{draft.oracle.strip()}\n```\n"  # type: ignore[attr-defined]
    (made,), failed = generate([draft], make_generator("openai", options=options))
    assert not failed and made.task.reference.strip() == draft.oracle.strip()  # type: ignore[attr-defined]
    assert "Interface constraints:" in prompts[0] and "~req" not in prompts[0]  # the seed is never shown
    (kept,) = verify([made.task], run_batch, mutation_check=False).kept
    replies["question"] = "A one-hot grant cannot be this, but:\n```\n7\n```"
    questions = questions_for(draft, kept)
    pairs, _ = check_answers(questions, make_answerer("openai", options=options), run_batch)
    assert [(p.answerer, p.answer, p.verdict) for p in pairs] == [("openai", "7", "refuted")]
