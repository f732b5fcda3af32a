"""ICWM and SFT datasets from the demo's real Verilog turns: task-level split, the text contract, configs."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from backends.icwm.codec import END, RESULT_HEADER, label_token, parse_target, prompt, target, truncate_prompt
from flows.export import chat_samples
from schemas.artifacts import Task, Turn
from schemas.outcome import Outcome
from schemas.store import ArtifactStore
from tasks.policies.prompt import parse_reply
from tests.test_operators import demo_data
from training.config import ConfigError, TrainConfig, load_config
from training.dataset import TEST, TRAIN, SplitConfig, icwm_examples, task_split
from training.evaluate import macro_f1, trajectory_agreement
from training.records import IcwmPrediction
from training.sft import export_jsonl, sft_examples


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[ArtifactStore, str]:
    return demo_data(tmp_path_factory)


@pytest.fixture(scope="module")
def turns(demo: tuple[ArtifactStore, str]) -> list[Turn]:
    store, run_id = demo
    return store.read_records(Turn, run_id)


@pytest.fixture(scope="module")
def tasks(demo: tuple[ArtifactStore, str]) -> dict[str, Task]:
    return {t.task_id: t for t in demo[0].read_records(Task)}


def test_split_is_by_task_and_capped(turns: list[Turn]) -> None:
    split = task_split(turns, SplitConfig(test_fraction=0.25))
    tasks = {t.task_id for t in turns}
    held_out = {t for t, side in split.items() if side == TEST}
    assert set(split) == tasks and held_out and held_out != tasks
    assert len(held_out) == int(0.25 * len(tasks))
    turns_per_task = defaultdict(int)
    for turn in turns:
        turns_per_task[turn.task_id] += 1
    capped = task_split(turns, SplitConfig(test_fraction=0.5, max_test_turns=3))
    assert 0 < sum(turns_per_task[t] for t, side in capped.items() if side == TEST) <= 3
    assert task_split(turns, SplitConfig(seed=1)) != split  # the seed picks other tasks


def test_examples_keep_every_turn_of_a_task_on_one_side(turns: list[Turn], tasks: dict[str, Task]) -> None:
    split = task_split(turns)
    examples, report = icwm_examples(turns, tasks, split)
    assert len(examples) == len(turns) and not report.skipped
    sides = defaultdict(set)
    for example in examples:
        sides[example.task_id].add(example.split)
    assert all(len(s) == 1 for s in sides.values())
    assert {e.split for e in examples} == {TRAIN, TEST}
    assert sum(report.rows.values()) == len(examples)


def test_prompt_and_target_carry_the_real_result(turns: list[Turn], tasks: dict[str, Task]) -> None:
    for turn in turns:
        text = prompt(tasks[turn.task_id], turn.code, turn.result.tool_versions)
        assert text.endswith(RESULT_HEADER) and turn.code.rstrip() in text
        assert all(version in text for version in turn.result.tool_versions.values())
        answer = target(turn.result)
        assert answer.startswith(label_token(turn.result.outcome)) and answer.endswith(END)
        decoded = parse_target(answer)
        assert decoded.label is turn.result.outcome
        assert decoded.metrics == dict(list(turn.result.metrics.items())[:6])
        diagnostic = turn.result.diagnostic.strip()
        if len(diagnostic) <= 600:  # verbatim; longer ones keep their head and tail
            assert decoded.diagnostic == diagnostic
        else:
            assert diagnostic.startswith(decoded.diagnostic[:300])


def test_truncated_prompt_keeps_head_and_tail() -> None:
    ids = list(range(100))
    cut = truncate_prompt(ids, 40)
    assert len(cut) == 40 and cut[:10] == ids[:10] and cut[-30:] == ids[-30:]
    assert truncate_prompt(ids, 200) == ids


def test_sft_samples_put_reasoning_in_a_thinking_block(
    demo: tuple[ArtifactStore, str], turns: list[Turn], tmp_path: Path
) -> None:
    store, run_id = demo
    by_id = {t.turn_id: t for t in turns}
    samples, _ = chat_samples(store, run_id)
    split = task_split(turns)
    examples, counts = sft_examples(samples, by_id, {"verilog": "verilog"}, split)
    assert len(examples) == len(turns) == sum(counts.values())
    repairs = 0
    for example in examples:
        messages = json.loads(example.messages)
        reply = messages[-1]["content"]
        turn = by_id[example.turn_id]
        assert reply.startswith("<think>\n") and "</think>" in reply
        assert parse_reply(reply).code == turn.code.rstrip() + "\n"  # what the hf policy reads back
        if turn.turn_index > 0:  # the failed attempt and its real diagnostic precede the repair
            repairs += 1
            assert "Tool result" in messages[1]["content"]
    assert repairs > 0
    out = tmp_path / "sft.jsonl"
    written = export_jsonl(examples, out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert written == len(lines) == sum(e.split == TRAIN for e in examples)
    assert all([m["role"] for m in line["messages"]] == ["system", "user", "assistant"] for line in lines)


def test_metrics_of_the_evaluation() -> None:
    assert macro_f1(["PASS", "PASS", "TEST_FAILURE"], ["PASS", "PASS", "TEST_FAILURE"]) == 1.0
    assert macro_f1(["PASS", "TEST_FAILURE"], ["PASS", "PASS"]) == pytest.approx((2 / 3 + 0) / 2)

    def row(trajectory: str, index: int, real: str, predicted: str) -> IcwmPrediction:
        return IcwmPrediction(stage="t", turn_id=f"{trajectory}{index}", domain="verilog", trajectory_id=trajectory,
                              turn_index=index, real=real, predicted=predicted, confidence=1.0,
                              diagnostic_similarity=0.0)

    rows = [
        row("a", 0, "TEST_FAILURE", "TEST_FAILURE"), row("a", 1, "PASS", "PASS"),  # agrees
        row("b", 0, "TEST_FAILURE", "PASS"), row("b", 1, "PASS", "PASS"),  # replay stops early, still PASS
        row("c", 0, "COMPILATION_ERROR", "PASS"), row("c", 1, "TEST_FAILURE", "TEST_FAILURE"),  # stops at PASS
    ]
    assert trajectory_agreement(rows) == (2, 3)


def test_config_file_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "job.toml"
    path.write_text('name = "job"\nkind = "sft"\n[optim]\nsteps = 7\n[launch]\nlauncher = "torchrun"\nworkers = 2\n')
    config = load_config(path, {"optim.lr": 0.01})
    assert (config.name, config.kind, config.optim.steps, config.optim.lr) == ("job", "sft", 7, 0.01)
    assert config.launch.workers == 2 and config.model.hidden_size == TrainConfig().model.hidden_size
    assert TrainConfig.from_dict(json.loads(config.to_json())) == config
    path.write_text("[optim]\nstep = 7\n")
    with pytest.raises(ConfigError, match="optim.step"):
        load_config(path)
    with pytest.raises(ConfigError, match="launcher"):
        config.with_overrides({"launch.launcher": "slurm"})


def test_reference_diff_prompt_shows_the_change(turns: list[Turn], tasks: dict[str, Task]) -> None:
    from backends.icwm.codec import CodecConfig, reference_diff

    faulty = next(t for t in turns if t.result.outcome is not Outcome.PASS and t.code != tasks[t.task_id].reference)
    task = tasks[faulty.task_id]
    diff = reference_diff(task, faulty.code)
    assert diff.startswith("--- reference\n+++ candidate\n@@ -")
    changed = [line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert changed and all(line in faulty.code for line in changed)
    assert reference_diff(task, task.reference) == "(identical to the reference)"
    with_diff = prompt(task, faulty.code, faulty.result.tool_versions, reference="diff")
    assert "## Change from the reference\n" + diff in with_diff and with_diff.endswith(RESULT_HEADER)
    assert "## Change from the reference" not in prompt(task, faulty.code, {})
    examples, _ = icwm_examples([faulty], tasks, {faulty.task_id: TRAIN}, CodecConfig(reference="diff"))
    assert examples[0].prompt == with_diff
    with pytest.raises(ValueError, match="reference"):
        CodecConfig(reference="golden")
