"""The curation tables, one record each (docs/curation.md lists their columns).

A file travels through the stages as a `CodeFile`; each stage writes the files it keeps (with its
annotation filled in) to its own table, so any stage can run alone on an earlier run's output, and
one `FileDecision` per file it saw (kept or dropped, with the reason). `CurationFile` is the ledger
the whole flow writes last: one row per input file with every stage's verdict, no content.
"""

from __future__ import annotations

from pydantic import Field

from schemas.artifacts import Artifact
from schemas.record import Record, content_id

# The tables the stages hand on (CodeFile rows), in stage order.
SOURCES_TABLE = "curation_sources"
RECALLED_TABLE = "curation_recalled"
LICENSED_TABLE = "curation_licensed"
REDACTED_TABLE = "curation_redacted"
DEDUPED_TABLE = "curation_deduped"
CURATED_TABLE = "curated_files"


class CodeFile(Artifact):
    """One file of one repository, with the annotations the stages have added so far.

    `repo` is `<origin>:<name>` (`debian:yosys`, `pypi:triton`, `dir:...`, `stack:...`); `origin` is
    the kind of source (also `literature` and `seeds` for cross-source dedup references).
    """

    file_id: str
    repo: str
    origin: str
    path: str
    content: str
    language: str
    domain: str = ""
    recall_step: str = ""
    recall_reason: str = ""
    recall_score: float | None = None
    license_spdx: str = ""
    license_class: str = ""
    redactions: int = 0
    cluster_id: str = ""

    @staticmethod
    def make_id(repo: str, path: str) -> str:
        return content_id(repo, path)


class LicenseEvidence(Record):
    """Where a repository states its license: `kind` is debian-copyright, license-file, metadata
    (a distribution's License-Expression / License / classifiers) or declared (a dataset column)."""

    kind: str
    path: str
    text: str


class Repository(Artifact):
    """One repository as ingested, with the license evidence found beside its files."""

    TABLE = "curation_repos"
    repo: str
    origin: str
    location: str
    files: int
    skipped: dict[str, int] = Field(default_factory=dict)
    license_evidence: list[LicenseEvidence] = Field(default_factory=list)


class FileDecision(Artifact):
    """What one stage decided about one file; `detail` says why (the rule, the score, the license...)."""

    TABLE = "curation_decisions"
    file_id: str
    repo: str
    path: str
    kept: bool
    reason: str
    detail: str = ""


class LicenseVerdict(Artifact):
    """One repository's detected license, its class and the policy's decision."""

    TABLE = "curation_licenses"
    repo: str
    license_spdx: str
    license_class: str
    detector: str
    evidence: list[str]
    allowed: bool
    reason: str


class Redaction(Artifact):
    """One redacted span: never the secret itself, only where it was, its kind and who found it."""

    TABLE = "curation_redactions"
    file_id: str
    repo: str
    path: str
    line: int
    kind: str
    detector: str
    placeholder: str


class DedupRow(Artifact):
    """One document's dedup verdict (the catalog's `dedup` table and its views read it).

    `source` is the repository (or literature / seed set) the document came from; a document with
    no duplicate is its own cluster; `reason` is unique, exact, near, fork or cross-source.
    """

    TABLE = "dedup"
    doc_id: str
    source: str
    origin: str
    path: str
    cluster_id: str
    kept: bool
    keeper_id: str
    reason: str
    content_hash: str
    similarity: float


class ForkGroup(Artifact):
    """A repository consolidated into a canonical one: the share of its file hashes found there."""

    TABLE = "dedup_forks"
    repo: str
    canonical: str
    shared_files: int
    files: int
    containment: float


class RefineCheck(Artifact):
    """Refinement verification of one file: the front end, and what it said before and after."""

    TABLE = "curation_refine"
    file_id: str
    repo: str
    path: str
    language: str
    checker: str
    compiled_before: bool | None
    compiled_after: bool | None
    same_ast: bool | None
    changed: bool
    kept: bool
    reason: str
    diagnostic: str = ""


class CurationFile(Artifact):
    """The ledger: one row per input file with each stage's verdict (`drop_stage` empty when kept)."""

    TABLE = "curation_files"
    file_id: str
    repo: str
    origin: str
    path: str
    language: str
    domain: str
    recall_step: str
    license_spdx: str
    license_class: str
    redactions: int
    cluster_id: str
    kept: bool
    drop_stage: str
    drop_reason: str
