"""Model-backed policies end to end on the real Verilog backend: an OpenAI-compatible endpoint (a
scripted loopback server) and a local transformers checkpoint (a tiny untrained model built here).

Nothing is faked on the tool side: every candidate is compiled and simulated by Icarus (and, when it
passes, linted and synthesised), and the tests check that the tool's own words travel back to the
model as the next turn's observation.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from backends.domain import get_domain
from backends.faults import apply, inject
from schemas.artifacts import ExecutionRequest, ExecutionResult, Task, Turn
from schemas.outcome import Outcome
from tasks.ecot import RolloutConfig, rollout
from tasks.policies import make_policy
from tasks.policies.base import Episode, PolicyConfigError
from tasks.policies.prompt import parse_reply

pytestmark = pytest.mark.timeout(120)

REPAIR_MARKER = "## Tool result"
FAILURES = {
    Outcome.COMPILATION_ERROR, Outcome.RUNTIME_ERROR, Outcome.TEST_FAILURE, Outcome.TIMEOUT,
    Outcome.SANDBOX_VIOLATION,
}  # fmt: skip


def run_batch(requests: list[ExecutionRequest]) -> list[ExecutionResult]:
    """The real Verilog backend, in-process (no Ray)."""
    return [get_domain("verilog").execute(r) for r in requests]


def collect(turns: list[Turn]) -> Callable[[list[Turn]], None]:
    return turns.extend


@pytest.fixture(scope="module")
def two_tasks() -> list[Task]:
    return get_domain("verilog").seed_tasks(1)[:2]


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment must not configure the policies behind the tests' back (or proxy loopback)."""
    for name in ("FORGE_OPENAI_BASE_URL", "FORGE_OPENAI_MODEL", "FORGE_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


# --- a scripted OpenAI-compatible "model" on loopback ------------------------------------------------


@dataclass(frozen=True)
class Script:
    """What the model says about one task: a first answer and a repair answer (full reply texts)."""

    first: str
    repair: str


def reply(before: str, code: str, after: str = "") -> str:
    return f"{before}\n\n```verilog\n{code}\n```\n\n{after}"


@dataclass
class LoopbackModel:
    """Chat-completions server: finds the task by its instruction in the prompt, answers from `scripts`."""

    scripts: dict[str, Script]
    status: int = 200
    bodies: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, body: dict[str, Any]) -> str:
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        script = next(s for instruction, s in self.scripts.items() if instruction in user)
        return script.repair if REPAIR_MARKER in user else script.first

    def handler(self) -> type[BaseHTTPRequestHandler]:
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with model.lock:
                    model.bodies.append({"path": self.path, **body})
                if model.status != 200:
                    payload = {"error": {"message": "scripted failure", "type": "server_error"}}
                else:
                    message = {"role": "assistant", "content": model.answer(body)}
                    payload = {
                        "id": f"chatcmpl-{len(model.bodies)}", "object": "chat.completion", "model": body["model"],
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    }  # fmt: skip
                data = json.dumps(payload).encode()
                self.send_response(model.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def serve() -> Iterator[Callable[[LoopbackModel], str]]:
    """Start a model on an ephemeral loopback port; yields a starter returning the base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(model: LoopbackModel) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), model.handler())
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def outside_fence(text: str) -> str:
    fence = re.search(r"```verilog\n.*?```", text, re.DOTALL)
    assert fence is not None
    return (text[: fence.start()] + text[fence.end() :]).strip()


def test_openai_policy_repairs_from_the_real_diagnostic(
    two_tasks: list[Task], serve: Callable[[LoopbackModel], str]
) -> None:
    mutators = get_domain("verilog").mutators
    scripts: dict[str, Script] = {}
    for task in two_tasks:
        slip = inject(task.reference, mutators, "syntax_slip", random.Random(task.task_id))
        assert slip is not None
        scripts[task.instruction] = Script(
            first=reply(f"Plan for {task.family}: register the state, derive outputs.", apply(task.reference, [slip])),
            repair=reply("The compiler reports a syntax error: a statement lost its semicolon.", task.reference,
                         "That restores the missing semicolon."),
        )
    model = LoopbackModel(scripts)
    policy = make_policy("openai", base_url=serve(model), model="loopback")
    turns: list[Turn] = []

    trajectories, report = rollout(two_tasks, policy, run_batch, RolloutConfig(max_turns=3), sink=collect(turns))

    assert [t.verdict for t in trajectories] == [Outcome.PASS, Outcome.PASS]
    assert report.turns == 4 and len(turns) == 4 and len(model.bodies) == 4
    assert {b["path"] for b in model.bodies} == {"/v1/chat/completions"}
    assert {b["model"] for b in model.bodies} == {"loopback"}
    by_task = {task.task_id: sorted((t for t in turns if t.task_id == task.task_id), key=lambda t: t.turn_index)
               for task in two_tasks}
    for task in two_tasks:
        first, second = by_task[task.task_id]
        top = task.environment["top"]
        assert first.result.outcome is Outcome.COMPILATION_ERROR
        assert re.search(rf"{top}\.v:\d+: syntax error", first.result.diagnostic), first.result.diagnostic
        assert second.result.outcome is Outcome.PASS
        assert second.code == task.reference.rstrip() + "\n"
        assert first.result.diagnostic in second.observation
        repair_prompts = [m["content"] for b in model.bodies for m in b["messages"]
                          if m["role"] == "user" and task.instruction in m["content"] and REPAIR_MARKER in m["content"]]
        assert len(repair_prompts) == 1
        assert first.result.diagnostic in repair_prompts[0]
        assert first.code in repair_prompts[0]
        script = scripts[task.instruction]
        assert first.reasoning == outside_fence(script.first)
        assert second.reasoning == outside_fence(script.repair)
        assert "That restores the missing semicolon." in second.reasoning


def test_openai_server_error_raises(two_tasks: list[Task], serve: Callable[[LoopbackModel], str]) -> None:
    model = LoopbackModel({}, status=500)
    policy = make_policy("openai", base_url=serve(model), model="loopback")
    with pytest.raises(httpx.HTTPStatusError):
        policy.act([Episode("traj", two_tasks[0])])
    assert len(model.bodies) == 1


def test_openai_policy_needs_endpoint_and_model() -> None:
    with pytest.raises(PolicyConfigError):
        make_policy("openai")
    with pytest.raises(PolicyConfigError):
        make_policy("openai", base_url="http://127.0.0.1:1/v1")
    with pytest.raises(PolicyConfigError):
        make_policy("openai", model="loopback")


# --- reply parsing -------------------------------------------------------------------------------------


def test_parse_reply_fence_with_language_tag() -> None:
    attempt = parse_reply("Think first.\n```verilog\nmodule m; endmodule\n```\nDone.")
    assert attempt.code == "module m; endmodule\n"
    assert attempt.reasoning == "Think first.\n\nDone."


def test_parse_reply_last_fence_is_the_code() -> None:
    attempt = parse_reply("Old:\n```verilog\nmodule old; endmodule\n```\nNew:\n```\nmodule new; endmodule\n```")
    assert attempt.code == "module new; endmodule\n"
    assert "module old; endmodule" in attempt.reasoning
    assert "module new" not in attempt.reasoning


def test_parse_reply_without_fence_is_all_code() -> None:
    attempt = parse_reply("  module m; endmodule  \n")
    assert attempt.code == "module m; endmodule"
    assert attempt.reasoning == ""


# --- a tiny local transformers checkpoint -------------------------------------------------------------


def build_tiny_checkpoint(directory: Path, tasks: list[Task]) -> None:
    """A byte-level BPE tokenizer trained on the tasks' text and an untrained 2-layer Llama."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    lines = [line for t in tasks for text in (t.instruction, t.reference, t.interface) for line in text.splitlines()]
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<pad>", "<eos>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(lines, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<eos>", pad_token="<pad>")
    tokenizer.save_pretrained(directory)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=4096,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, bos_token_id=None,
    )  # fmt: skip
    LlamaForCausalLM(config).save_pretrained(directory)


def test_hf_policy_rolls_out_on_the_real_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    tasks = get_domain("verilog").seed_tasks(1)
    build_tiny_checkpoint(tmp_path, tasks)
    policy = make_policy("hf", model=str(tmp_path), max_new_tokens=16, device="cpu")
    turns: list[Turn] = []

    trajectories, report = rollout(tasks[:1], policy, run_batch, RolloutConfig(max_turns=2), sink=collect(turns))

    assert [t.turn_index for t in turns] == [0, 1]
    assert trajectories[0].num_turns == 2 and report.turns == 2
    for turn in turns:
        assert turn.policy == "hf"
        assert turn.result.outcome in FAILURES, (turn.result.outcome, turn.code)
        assert turn.result.diagnostic.strip()
    first, second = turns
    assert first.observation == ""
    assert first.result.diagnostic.strip() in second.observation
    assert second.observation.startswith(first.result.outcome)


def test_hf_policy_needs_a_local_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(PolicyConfigError):
        make_policy("hf", model=str(tmp_path / "missing"))
    with pytest.raises(PolicyConfigError):
        make_policy("hf")
