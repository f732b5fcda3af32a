"""The analyst notebook runs headless against the demo data and writes its figures, so it cannot rot."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib.image
import nbformat
import pytest
from nbclient import NotebookClient

from schemas.store import ArtifactStore
from tests.test_operators import dedup_rows, demo_data

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "analyst.ipynb"
FIGURES = ("outcome_by_domain", "pass_at_turn", "reasoning_length_by_domain", "fault_kind_first_outcome")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[ArtifactStore, str]:
    return demo_data(tmp_path_factory)


def execute(data: Path, figures: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the notebook with FORGE_DATA/FORGE_FIGURES set (the kernel inherits them); returns its text output."""
    monkeypatch.setenv("FORGE_DATA", str(data))
    monkeypatch.setenv("FORGE_FIGURES", str(figures))
    monkeypatch.delenv("FORGE_RUN", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    resources = {"metadata": {"path": str(NOTEBOOK.parent)}}
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources=resources).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    return "\n".join(output.get("text", "") + output.get("data", {}).get("text/plain", "") for output in outputs)


def _image(path: Path) -> tuple[int, int]:
    height, width, *_ = matplotlib.image.imread(path).shape
    return width, height


def test_committed_notebook_is_clean_and_parameterised() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not c.get("outputs") and not c.get("execution_count") for c in notebook.cells if c.cell_type == "code")
    parameters = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assert "FORGE_DATA" in parameters.source and "FORGE_FIGURES" in parameters.source


def test_notebook_plots_the_demo(
    demo: tuple[ArtifactStore, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, run_id = demo
    figures = tmp_path / "figures"
    text = execute(Path(store.root), figures, monkeypatch)
    assert {p.stem for p in figures.glob("*.png")} == set(FIGURES)  # no dedup figure without a dedup table
    for name in FIGURES:
        width, height = _image(figures / f"{name}.png")
        assert width > 600 and height > 250
    assert "no `dedup` table in this catalog yet" in text and run_id in text


def test_notebook_plots_dedup_once_the_table_exists(
    demo: tuple[ArtifactStore, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = demo
    copy = tmp_path / "data"
    shutil.copytree(store.root, copy, ignore=shutil.ignore_patterns(".prefect-results"))
    dedup_rows(ArtifactStore(copy), "dedup-test")  # hand-written rows: the dedup stage has not landed
    figures = tmp_path / "figures"
    execute(copy, figures, monkeypatch)
    assert {p.stem for p in figures.glob("*.png")} == {*FIGURES, "dedup"}
    assert _image(figures / "dedup.png")[0] > 600
