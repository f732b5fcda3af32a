"""What the synthesis stage stores besides its `Task` rows (table `tasks`, so ECoT runs on them as on
seed tasks) and their `SeedCheck` verification runs.

- `TaskOrigin`: where a task came from (scenario, repository file, literature snippet, perturbation,
  migration, benchmark) and the structured spec it was built from;
- `SynthesisDrop`: every candidate that did not become a task, with the step and the reason;
- `QAPair`: a question about a task's code, an answer, and the verdict of checking it by execution.
"""

from __future__ import annotations

from schemas.artifacts import Artifact
from schemas.outcome import Outcome

STAGE = "synthesis"


class TaskOrigin(Artifact):
    """One synthesized task's provenance. `origin` is scenario, repo, literature, perturbation,
    migration or benchmark:<format>; `source_id` the scenario id, file path or parent task id;
    `generator` the fingerprint of the policy that wrote the reference; `spec` the draft as JSON."""

    TABLE = "task_origins"
    task_id: str
    domain: str
    family: str
    origin: str
    source_id: str
    generator: str
    spec: str


class SynthesisDrop(Artifact):
    """A candidate that was not kept. `step`: draft, dedup, verify or import; `outcome` is empty
    when no backend ran (e.g. an unsupported source file)."""

    TABLE = "synthesis_drops"
    candidate_id: str
    domain: str
    origin: str
    source_id: str
    step: str
    reason: str
    outcome: str
    diagnostic: str


class QAPair(Artifact):
    """A question about `code` (a task's reference) with an answer and its check.

    `verdict`: confirmed (the backend's run agreed with the answer), refuted (it ran and disagreed),
    or unverifiable (no check could run: the answer did not parse, or the tool failed). Only
    confirmed pairs are `kept`; the others stay for analysis.
    """

    TABLE = "qa_pairs"
    qa_id: str
    task_id: str
    domain: str
    kind: str
    question: str
    answer: str
    code: str
    answerer: str
    verdict: str
    outcome: Outcome | None = None
    diagnostic: str = ""
    kept: bool = False
