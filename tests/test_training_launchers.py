"""The other two launchers on CPU: torchrun (2 processes, gloo) and Ray Train (2 workers), same job.

Slow (each starts two Python processes that import torch and transformers): `pytest -m slow`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.artifacts import Task, Turn
from schemas.store import ArtifactStore
from tests.test_training import demo_copy
from training.config import TrainConfig, load_config
from training.dataset import icwm_examples, task_split
from training.registry import runs

pytestmark = pytest.mark.slow
CONFIGS = Path(__file__).resolve().parents[1] / "training" / "configs"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[ArtifactStore, str]:
    store, run_id = demo_copy(tmp_path_factory, "launchers-demo")
    turns = store.read_records(Turn, run_id)
    tasks = {t.task_id: t for t in store.read_records(Task)}
    examples, _ = icwm_examples(turns, tasks, task_split(turns))
    receipt = store.write_records(examples, "icwm-data-launchers")
    return store, str(Path(receipt.path).parent)


def job(store: ArtifactStore, path: str, launcher: str, tmp_path: Path) -> TrainConfig:
    return load_config(CONFIGS / "icwm-tiny.toml").with_overrides({
        "name": f"launch-{launcher}", "output_dir": str(tmp_path / launcher), "registry": str(store.root),
        "data.path": path, "launch.launcher": launcher, "launch.workers": 2, "optim.steps": 4,
        "launch.save_every": 2, "optim.batch_size": 2,
    })  # fmt: skip


@pytest.mark.parametrize("launcher", ["torchrun", "ray"])
def test_two_workers_train_and_register(dataset: tuple[ArtifactStore, str], launcher: str, tmp_path: Path) -> None:
    from flows.runtime import shutdown_pools
    from training.launcher import launch

    shutdown_pools()  # two Ray Train workers need both CPUs of a small machine: the execution pools let go

    store, path = dataset
    config = job(store, path, launcher, tmp_path)
    summary = launch(config)
    assert summary["world_size"] == 2 and summary["steps"] == 4
    registered = runs(str(store.root), config.name)
    assert [(r.step, r.launcher, r.world_size) for r in registered] == [(2, launcher, 2), (4, launcher, 2)]
    assert (Path(registered[-1].checkpoint) / "model.safetensors").exists()
    resumed = launch(config.with_overrides({"optim.steps": 6}))  # a relaunch continues at step 4
    assert resumed["steps"] == 6 and runs(str(store.root), config.name)[-1].step == 6
