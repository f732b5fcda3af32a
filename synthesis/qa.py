"""QA pairs: a question about a task's code, an answer, and the verdict of a real run that checks it.

Answers come from an answerer: `reference` (the default: each question's independent method, see
`questions.py`) or any policy (`openai`, `hf`), asked the question with the code and expected to
reply with the value in a fenced block. Every parsed answer is then checked by executing the code
under a harness that passes only if the answer is right. Verdicts: confirmed (PASS), refuted (the
run disagreed), unverifiable (no answer, an answer that is not a number, or a run that could not
judge); only confirmed pairs are kept, all are stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas.artifacts import ExecutionRequest, ExecutionResult, Task
from schemas.outcome import Outcome
from synthesis.questions import Question, parse_number
from synthesis.records import STAGE, QAPair
from tasks.policies import make_policy
from tasks.policies.base import Episode, Policy

RunBatch = Callable[[list[ExecutionRequest]], list[ExecutionResult]]
REFERENCE = "reference"
_REFUTED = (Outcome.TEST_FAILURE,)


@dataclass
class QAReport:
    questions: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)


class PolicyAnswerer:
    """Asks a policy: the question is the instruction, the code the interface; the reply's fenced block
    is the answer."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.name = policy.name

    def answer(self, questions: Sequence[Question]) -> list[str | None]:
        episodes = []
        for q in questions:
            prompt = q.task.model_copy(update={
                "instruction": f"{q.text}\nReply with your reasoning, then the answer alone in a fenced code block.",
                "interface": q.task.reference,
            })  # fmt: skip
            episodes.append(Episode(q.qa_id, prompt))
        return [attempt.code.strip() or None for attempt in self.policy.act(episodes)]


class ReferenceAnswerer:
    name = REFERENCE

    def answer(self, questions: Sequence[Question]) -> list[str | None]:
        return [q.answer for q in questions]


Answerer = ReferenceAnswerer | PolicyAnswerer


def make_answerer(name: str, seed: int = 0, options: dict[str, Any] | None = None) -> Answerer:
    return ReferenceAnswerer() if name == REFERENCE else PolicyAnswerer(make_policy(name, seed, **(options or {})))


def _pair(question: Question, answer: str | None, answerer: str, verdict: str,
          result: ExecutionResult | None) -> QAPair:
    return QAPair(
        stage=STAGE, parent_ids=[question.task.task_id], qa_id=question.qa_id, task_id=question.task.task_id,
        domain=question.task.domain, kind=question.kind, question=question.text, answer=answer or "",
        code=question.task.reference, answerer=answerer, verdict=verdict,
        outcome=result.outcome if result else None, diagnostic=result.diagnostic if result else "",
        kept=verdict == "confirmed",
    )  # fmt: skip


def check_answers(
    questions: Sequence[Question], answerer: Answerer, run_batch: RunBatch
) -> tuple[list[QAPair], QAReport]:
    """Answer every question and check each parsed answer with one backend run."""
    answers = answerer.answer(questions) if questions else []
    runnable: list[tuple[int, Task]] = []
    for index, (question, answer) in enumerate(zip(questions, answers, strict=True)):
        value = None if answer is None else parse_number(answer, question.width)
        if value is not None:
            runnable.append((index, question.check(value)))
    results = run_batch([ExecutionRequest.for_code(t, questions[i].task.reference) for i, t in runnable]) \
        if runnable else []  # fmt: skip
    by_index = {i: r for (i, _), r in zip(runnable, results, strict=True)}
    pairs, report = [], QAReport(questions=len(questions))
    for index, (question, answer) in enumerate(zip(questions, answers, strict=True)):
        result = by_index.get(index)
        if result is None:
            verdict = "unverifiable"
        elif result.outcome is Outcome.PASS:
            verdict = "confirmed"
        elif result.outcome in _REFUTED:
            verdict = "refuted"
        else:
            verdict = "unverifiable"
        report.verdicts[verdict] += 1
        pairs.append(_pair(question, answer, answerer.name, verdict, result))
    return pairs, report
