"""SFT exports of an ECoT run: chat JSONL and `datasets`-loadable Parquet, prompts identical to inference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.export import chat_samples, export_run
from schemas.artifacts import Trajectory, Turn
from schemas.store import ArtifactStore
from tasks.policies.prompt import SYSTEM_PROMPT, parse_reply
from tests.test_operators import demo_data


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[ArtifactStore, str]:
    return demo_data(tmp_path_factory)


def test_one_sample_per_turn_in_chat_format(demo: tuple[ArtifactStore, str], tmp_path: Path) -> None:
    store, run_id = demo
    turns = {t.turn_id: t for t in store.read_records(Turn, run_id)}
    out = tmp_path / "sft.jsonl"
    report = export_run(store, run_id, "jsonl", out)
    samples = [json.loads(line) for line in out.read_text().splitlines()]
    assert report.samples == len(samples) == len(turns) and not report.skipped
    for sample in samples:
        turn = turns[sample["turn_id"]]
        roles = [m["role"] for m in sample["messages"]]
        system, user, assistant = (m["content"] for m in sample["messages"])
        assert roles == ["system", "user", "assistant"] and system == SYSTEM_PROMPT
        reply = parse_reply(assistant)  # the reply parses back to exactly what the turn ran
        assert reply.code == turn.code.rstrip() + "\n" and reply.reasoning == turn.reasoning.strip()
        assert sample["outcome"] == turn.result.outcome and sample["turn_index"] == turn.turn_index
        if turn.turn_index == 0:
            assert "previous attempt" not in user
        else:  # the observation: the previous turn's code and the tool's own words, verbatim
            previous = next(t for t in turns.values() if t.turn_id == turn.parent_ids[-1])
            assert previous.code.rstrip() in user and previous.result.diagnostic in user
            assert f"Tool result: {previous.result.outcome}" in user


def test_solved_only_keeps_passing_trajectories(demo: tuple[ArtifactStore, str]) -> None:
    store, run_id = demo
    trajectories = store.read_records(Trajectory, run_id)
    samples, report = chat_samples(store, run_id, solved_only=True)
    solved = [t for t in trajectories if t.verdict == "PASS"]
    assert {s["verdict"] for s in samples} == {"PASS"}
    assert report.trajectories == len(solved) and len(samples) == sum(t.num_turns for t in solved)
    assert sum(report.skipped.values()) == len(trajectories) - len(solved)


def test_parquet_loads_with_datasets(demo: tuple[ArtifactStore, str], tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    store, run_id = demo
    out = tmp_path / "sft.parquet"
    report = export_run(store, run_id, "parquet", out)
    dataset = datasets.load_dataset("parquet", data_files=str(out), split="train", cache_dir=str(tmp_path / "cache"))
    assert dataset.num_rows == report.samples
    first = dataset[0]
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant"]
    assert first["run_id"] == run_id and first["turn_index"] == 0


def test_cli_export(demo: tuple[ArtifactStore, str], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from flows.cli import main

    store, run_id = demo
    out = tmp_path / "out" / "sft.jsonl"
    assert main(["--data", str(store.root), "export", "--run", run_id, "--format", "jsonl", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert f"{out}: {len(lines)} samples" in capsys.readouterr().out
    assert not list(out.parent.glob(".*tmp-*"))


def test_unknown_format_is_refused(demo: tuple[ArtifactStore, str], tmp_path: Path) -> None:
    store, run_id = demo
    with pytest.raises(ValueError, match="unknown export format 'csv'"):
        export_run(store, run_id, "csv", tmp_path / "x.csv")
