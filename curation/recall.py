"""Repo recall in three steps; every recalled file records the step and why.

(a) rules (`domains.py`); (b) a classifier trained on (a)'s positives against random negatives,
scikit-learn logistic regression over hashed code-token n-grams (industrial or not, then which
domain), its threshold chosen on a held-out split; (c) repository expansion: in a repository dense
in recalled files, the companions beside them (build files, constraints, testbenches, scripts)
come along.

The classifier is cross-fitted: the negatives are split in two halves and each half is scored by the
model trained on the other, so a file the rules missed is never scored by a model that saw it
labelled negative (those are exactly the files step (b) is there to find).
"""

from __future__ import annotations

import logging
import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from curation.domains import match_rules
from curation.records import CodeFile

log = logging.getLogger(__name__)

STAGE = "recall"
NONE = "none"
STEP_RULES, STEP_CLASSIFIER, STEP_EXPANSION = "rules", "classifier", "expansion"
_COMPANION_NAME = re.compile(
    r"^(Makefile|GNUmakefile|makefile|CMakeLists\.txt|SConstruct|meson\.build|Kconfig|"
    r"(tb|test|testbench)_\w+\.\w+|\w+_(tb|test|testbench)\.\w+)$"
    r"|\.(mk|cmake|tcl|sdc|xdc|pcf|lpf|qsf|ucf|ys|sh|ld|lds|f|vc|core|cfg|ini|gtkw)$"
)


@dataclass(frozen=True)
class RecallConfig:
    """Tunables of the three steps.

    - `head_chars`: the classifier reads a file's first 8 KiB: the includes, declarations and first
      definitions say what a file is; the rest adds cost, not signal.
    - `n_features`: 2^18 hashed features keep collisions rare for a few hundred thousand distinct
      token n-grams while the model stays a 2 MB matrix per class.
    - `negatives_per_positive`: 3 random non-recalled files per positive (all when fewer).
    - `held_out`: a quarter of the examples choose the threshold, never train.
    - `regularization`: liblinear's C; 4 fits the few hundred examples of a run without memorising them.
    - `target_precision`: the threshold is the lowest score at which the held-out precision still
      reaches 0.95 (most recall at that precision), else the max-F1 score.
    - `min_positives`: below this many rule positives there is nothing to learn from; step (b) is skipped.
    - expansion: a repository is dense when at least `min_recalled` of its files and `min_density`
      of them are recalled; its companions are the files named like build files, constraints,
      testbenches or scripts whose directory, or its parent, holds a recalled file or is the parent
      of one (so `examples/a/Makefile` comes with `examples/b/top.v`).
    """

    head_chars: int = 8192
    n_features: int = 1 << 18
    negatives_per_positive: int = 3
    held_out: float = 0.25
    min_positives: int = 8
    regularization: float = 4.0
    target_precision: float = 0.95
    seed: int = 0
    min_recalled: int = 3
    min_density: float = 0.1


@dataclass
class RecallResult:
    recalled: list[CodeFile]
    decisions: dict[str, tuple[str, str]]  # file_id -> (step or "", reason)
    threshold: float | None = None
    counts: dict[str, int] = field(default_factory=dict)


_TOKENS = r"[A-Za-z_][A-Za-z0-9_]*|\d+|[^\sA-Za-z0-9_]"


def vectorizer(config: RecallConfig) -> HashingVectorizer:
    """Code tokens (identifiers, numbers, single punctuation) as unigrams and bigrams, hashed."""
    return HashingVectorizer(
        n_features=config.n_features, token_pattern=_TOKENS, ngram_range=(1, 2), lowercase=False,
        alternate_sign=False, norm="l2",
    )


def _document(file: CodeFile, config: RecallConfig) -> str:
    """The text the classifier reads: the file name's pieces, then the head of the content."""
    name = PurePosixPath(file.path).name
    return f"__name__ {name.replace('.', ' .')} __ext__{PurePosixPath(name).suffix}\n{file.content[:config.head_chars]}"


def _split(items: list[int], share: float, rng: random.Random) -> tuple[list[int], list[int]]:
    shuffled = items[:]
    rng.shuffle(shuffled)
    cut = max(1, int(len(shuffled) * share))
    return shuffled[cut:], shuffled[:cut]


def _threshold(scores: np.ndarray, labels: np.ndarray, target_precision: float) -> float:
    """On held-out examples: the lowest score threshold whose precision reaches `target_precision`
    (the most recall at that precision); when none does, the one with the best F1."""
    best, best_f1, lowest_precise = 0.5, -1.0, None
    for threshold in sorted(np.unique(scores), reverse=True):
        predicted = scores >= threshold
        tp = int(np.sum(predicted & labels))
        if tp == 0:
            continue
        precision, recall = tp / int(np.sum(predicted)), tp / int(np.sum(labels))
        f1 = 2 * precision * recall / (precision + recall)
        if precision >= target_precision:
            lowest_precise = float(threshold)
        if f1 > best_f1:
            best, best_f1 = float(threshold), f1
    return lowest_precise if lowest_precise is not None else best


def _fit(matrix: csr_matrix, industrial: list[bool], config: RecallConfig) -> LogisticRegression:
    """Industrial (any domain) vs not: a binary model; liblinear's dual solver suits far fewer
    examples than hashed features (scikit-learn's advice for n_samples < n_features)."""
    return LogisticRegression(solver="liblinear", dual=True, class_weight="balanced", C=config.regularization).fit(
        matrix, industrial
    )


def _industrial_probability(model: LogisticRegression, matrix: csr_matrix) -> np.ndarray:
    return model.predict_proba(matrix)[:, list(model.classes_).index(True)]


def _domain_model(matrix: csr_matrix, domains: list[str], config: RecallConfig) -> OneVsRestClassifier | None:
    """Which domain a recalled file belongs to, learnt from the rule positives alone."""
    if len(set(domains)) < 2:
        return None
    model = OneVsRestClassifier(LogisticRegression(solver="liblinear", dual=True, C=config.regularization))
    return model.fit(matrix, domains)


def classify(
    files: Sequence[CodeFile], positives: dict[int, str], config: RecallConfig
) -> tuple[dict[int, tuple[str, float]], float | None]:
    """Step (b): index -> (domain, score) for the files the rules missed and the classifier recalls.

    `positives`: index -> domain of the rule-recalled files. Returns also the threshold (None when
    skipped for lack of positives or of negatives).
    """
    rng = random.Random(config.seed)
    negatives = [i for i in range(len(files)) if i not in positives]
    if len(positives) < config.min_positives or len(negatives) < config.min_positives:
        log.info("classifier skipped: %d positives, %d negatives", len(positives), len(negatives))
        return {}, None
    matrix = vectorizer(config).transform([_document(f, config) for f in files]).tocsr()
    pos_train, pos_held = _split(sorted(positives), config.held_out, rng)
    sampled = rng.sample(negatives, min(len(negatives), config.negatives_per_positive * len(positives)))
    half_a, half_b = sampled[: len(sampled) // 2], sampled[len(sampled) // 2 :]
    neg_train_a, neg_held = _split(half_a, config.held_out * 2, rng)
    model_a, model_b = (_fit(matrix[pos_train + neg], [True] * len(pos_train) + [False] * len(neg), config)
                        for neg in (neg_train_a, half_b))
    held = pos_held + neg_held  # model_b never saw them: it trained on half_b
    threshold = _threshold(_industrial_probability(model_b, matrix[held]), np.array([i in positives for i in held]),
                           config.target_precision)
    ordered = sorted(positives)
    domain_model = _domain_model(matrix[ordered], [positives[i] for i in ordered], config)
    recalled: dict[int, tuple[str, float]] = {}
    seen_by_a = set(half_a)
    for model, group in ((model_b, [i for i in negatives if i in seen_by_a]),
                         (model_a, [i for i in negatives if i not in seen_by_a])):
        scores = _industrial_probability(model, matrix[group]) if group else []
        chosen = [(i, float(s)) for i, s in zip(group, scores, strict=True) if s >= threshold]
        if not chosen:
            continue
        rows = [i for i, _ in chosen]
        domains = domain_model.predict(matrix[rows]) if domain_model else [positives[ordered[0]]] * len(rows)
        recalled.update({i: (str(d), s) for (i, s), d in zip(chosen, domains, strict=True)})
    return recalled, threshold


def expand(files: Sequence[CodeFile], recalled: dict[int, str], config: RecallConfig) -> dict[int, tuple[str, str]]:
    """Step (c): index -> (domain, reason) for companions of recalled files in dense repositories."""
    by_repo: dict[str, list[int]] = defaultdict(list)
    for index, file in enumerate(files):
        by_repo[file.repo].append(index)
    companions: dict[int, tuple[str, str]] = {}
    for repo, indices in by_repo.items():
        hits = [i for i in indices if i in recalled]
        density = len(hits) / len(indices)
        if len(hits) < config.min_recalled or density < config.min_density:
            continue
        domains_by_dir: dict[str, Counter[str]] = defaultdict(Counter)
        for i in hits:
            directory = PurePosixPath(files[i].path).parent
            for place in (directory, directory.parent):
                domains_by_dir[str(place)][recalled[i]] += 1
        for i in indices:
            path = PurePosixPath(files[i].path)
            if i in recalled or not _COMPANION_NAME.search(path.name):
                continue
            place = next((p for p in (path.parent, path.parent.parent) if str(p) in domains_by_dir), None)
            if place is not None:
                domain, count = domains_by_dir[str(place)].most_common(1)[0]
                companions[i] = (domain, f"companion {path.name}: {count} recalled {domain} file(s) under {place} "
                                         f"(repo {repo}: {len(hits)}/{len(indices)} recalled)")
    return companions


def recall(files: Sequence[CodeFile], config: RecallConfig | None = None) -> RecallResult:
    """Run the three steps; the recalled files carry domain, step, reason (and score for step b)."""
    config = config or RecallConfig()
    files = sorted(files, key=lambda f: f.file_id)  # the classifier's splits do not depend on input order
    by_rules = {i: m for i, f in enumerate(files) if (m := match_rules(f.path, f.content))}
    by_model, threshold = classify(files, {i: m.domain for i, m in by_rules.items()}, config)
    domains = {i: m.domain for i, m in by_rules.items()} | {i: d for i, (d, _) in by_model.items()}
    by_companion = expand(files, domains, config)
    recalled, decisions = [], {}
    for index, file in enumerate(files):
        if index in by_rules:
            update = {"domain": by_rules[index].domain, "recall_step": STEP_RULES,
                      "recall_reason": by_rules[index].reason}
        elif index in by_model:
            domain, score = by_model[index]
            update = {"domain": domain, "recall_step": STEP_CLASSIFIER, "recall_score": round(score, 4),
                      "recall_reason": f"classifier p={score:.3f} >= threshold {threshold:.3f} ({domain})"}
        elif index in by_companion:
            domain, reason = by_companion[index]
            update = {"domain": domain, "recall_step": STEP_EXPANSION, "recall_reason": reason}
        else:
            decisions[file.file_id] = ("", "no rule, classifier score below threshold, not a companion")
            continue
        recalled.append(file.model_copy(update={**update, "stage": STAGE, "parent_ids": [file.file_id]}))
        decisions[file.file_id] = (update["recall_step"], update["recall_reason"])
    counts = {"files in": len(files), "recalled": len(recalled), "by rules": len(by_rules),
              "by classifier": len(by_model), "by expansion": len(by_companion),
              "not recalled": len(files) - len(recalled)}
    return RecallResult(recalled, decisions, threshold, counts)
