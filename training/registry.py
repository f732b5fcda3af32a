"""The `training_runs` table: one row per checkpoint a job writes, so every checkpoint is findable.

Rows go to the run partition named by the job (`config.name`), in the data root `config.registry`;
an empty registry (a throwaway run) registers nothing. Only rank 0 registers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from schemas.store import ArtifactStore, StoreError
from training.config import TrainConfig
from training.records import TrainingRun

STAGE = "training"


def register(
    config: TrainConfig, world_size: int, checkpoint: str, step: int, status: str, metrics: dict[str, float]
) -> TrainingRun | None:
    """Store one `training_runs` row for `checkpoint`; None when the job has no registry."""
    if not config.registry:
        return None
    run = TrainingRun(
        stage=STAGE,
        parent_ids=[config.data.path],
        training_run_id=config.name,
        kind=config.kind,
        launcher=config.launch.launcher,
        world_size=world_size,
        config=config.to_json(),
        dataset=config.data.path,
        checkpoint=checkpoint,
        step=step,
        status=status,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        metrics={k: float(v) for k, v in metrics.items()},
    )
    ArtifactStore(config.registry).write_records([run], config.name)
    return run


def runs(data_root: str, name: str | None = None) -> list[TrainingRun]:
    """Registered checkpoints (of one job, or all), oldest first."""
    store = ArtifactStore(data_root)
    if TrainingRun.TABLE not in store.tables() or (name and not store.has(TrainingRun.TABLE, name)):
        return []
    return sorted(store.read_records(TrainingRun, name), key=lambda r: (r.created_at, r.step))


def resolve_checkpoint(data_root: str, checkpoint: str) -> str:
    """A checkpoint directory as given, or the newest registered checkpoint of training run `checkpoint`."""
    if Path(checkpoint).is_dir():
        return str(Path(checkpoint).resolve())
    registered = [r for r in runs(data_root, checkpoint) if Path(r.checkpoint).is_dir()]
    if not registered:
        raise StoreError(f"{checkpoint!r} is neither a checkpoint directory nor a training run with one on disk")
    return max(registered, key=lambda r: r.step).checkpoint
