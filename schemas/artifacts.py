"""The pipeline's artifacts, one record each: Task, ExecutionRequest, ExecutionResult, Turn, Trajectory.

Lineage: every stored row names the `stage` that wrote it and its `parent_ids`; the run id is the
Hive partition of the Parquet part it lives in (the store adds it as a column on read), and tool
versions travel on every `ExecutionResult`.
"""

from __future__ import annotations

from pydantic import Field

from schemas.outcome import Outcome
from schemas.record import Record, content_id


class Artifact(Record):
    """A stored row: who wrote it and from what."""

    stage: str
    parent_ids: list[str] = Field(default_factory=list)


class Task(Artifact):
    """A seed task: requirement, interface, golden reference and how to verify a candidate.

    `environment` holds the domain's knobs the backend needs (top module, language standard...);
    `harness` is the verification (a self-checking testbench, a reference model...).
    `mutation_score` is the share of injected faults the harness caught when the seed was verified.
    """

    TABLE = "tasks"
    task_id: str
    domain: str
    family: str
    params: dict[str, str]
    instruction: str
    interface: str
    reference: str
    harness: str
    environment: dict[str, str]
    mutation_score: float | None = None

    @staticmethod
    def make_id(domain: str, family: str, params: dict[str, str]) -> str:
        return content_id(domain, family, sorted(params.items()))


class ExecutionRequest(Record):
    """One candidate to run against one task."""

    TABLE = "execution_requests"
    request_id: str
    task: Task
    code: str
    timeout_s: float = 30.0

    @classmethod
    def for_code(cls, task: Task, code: str, timeout_s: float = 30.0) -> ExecutionRequest:
        return cls(request_id=content_id(task.task_id, code), task=task, code=code, timeout_s=timeout_s)


class ExecutionResult(Record):
    """What the backend said: the outcome, the tool's own words, and measurements.

    `attempts` counts executions, so an INFRA_ERROR retried by the worker pool shows up.
    `isolation` says what held the candidate while it ran (`backends/isolation.py`: the mode, plus
    `uid` and `cgroup-vN` where the job had its own), so data made under a weaker mode can be told apart.
    """

    TABLE = "execution_results"
    request_id: str
    outcome: Outcome
    diagnostic: str
    metrics: dict[str, float] = Field(default_factory=dict)
    duration_s: float
    tool_versions: dict[str, str] = Field(default_factory=dict)
    attempts: int = 1
    isolation: str = ""


class Turn(Artifact):
    """One ECoT turn: what the policy saw, thought and wrote, and what the real backend returned."""

    TABLE = "turns"
    turn_id: str
    trajectory_id: str
    task_id: str
    domain: str
    turn_index: int
    policy: str
    observation: str
    reasoning: str
    code: str
    fault_kinds: list[str] = Field(default_factory=list)
    result: ExecutionResult


class Trajectory(Artifact):
    """One task's rollout; `verdict` is the last turn's outcome."""

    TABLE = "trajectories"
    trajectory_id: str
    task_id: str
    domain: str
    policy: str
    num_turns: int
    first_outcome: Outcome
    verdict: Outcome
    turn_ids: list[str]


class SeedCheck(Artifact):
    """One verification run of a seed: the golden reference (`fault_kind` empty) or one mutant.

    A mutant is `caught` when the harness does not pass it; a task's mutation score is the share
    of its mutants caught.
    """

    TABLE = "seed_checks"
    task_id: str
    domain: str
    family: str
    fault_kind: str
    outcome: Outcome
    caught: bool
    diagnostic: str


class Run(Artifact):
    """One stage run's lineage, for `forge runs`: the flow (`stage`), the runs it read (`parent_ids`),
    what it was asked (`parameters`, JSON) and what it wrote (`rows` per table, `counts` of its report).

    The run id is the Hive partition the row is stored under, as for every table. It is written at
    the end of the stage's cached work, so a rerun answered from the cache adds nothing, and a
    `--force` redo adds a row with a later `created_at` (ISO 8601, UTC).
    """

    TABLE = "runs"
    parameters: str
    created_at: str
    rows: dict[str, int]
    counts: dict[str, str]
