"""The input synthesis accepts from the curation and literature stages: rows of code with a path.

Any Arrow table (or Parquet partition of the artifact store) with the columns `path`, `language`
and `content` is accepted; `origin` (repo or literature), `source_id`, `context` (a figure caption,
the surrounding paragraph, a repository description) and `license` are used when present. The same
rows can come from a directory of files (language from the extension) or a JSON-lines file, which
is how the bundled samples and the tests feed it.

Two upstream tables are read by their documented columns (docs/curation.md, docs/literature.md),
without importing those stages: `curated_files` (path, language, content, repo, origin,
license_spdx) and `literature_snippets` (snippet_id, doc_id, page, block, language, code, verdict;
its `path` is the page's text path, not a file, and its `context` the wrapper the front end needed,
not a caption). Snippets the literature stage rejected (they fail their own front end) are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from schemas.record import content_id
from schemas.store import ArtifactStore

REQUIRED_COLUMNS = ("path", "language", "content")
OPTIONAL_COLUMNS = ("origin", "source_id", "context", "license")
EXTENSIONS = {".v": "verilog", ".sv": "verilog", ".vh": "verilog", ".c": "c", ".h": "c", ".s": "asm", ".S": "asm",
              ".asm": "asm", ".py": "python"}  # fmt: skip
_LANGUAGES = {"systemverilog": "verilog", "sv": "verilog", "v": "verilog", "verilog": "verilog", "c": "c",
              "c99": "c", "c11": "c", "assembly": "asm", "asm": "asm", "gas": "asm", "python": "python"}  # fmt: skip


class SourceError(ValueError):
    """Input rows that do not fit the interface; names the source and what is missing."""


class SourceDocument(BaseModel):
    """One curated file or literature snippet."""

    model_config = ConfigDict(frozen=True)
    path: str
    language: str
    content: str
    origin: str = "repo"
    source_id: str = ""
    context: str = ""
    license: str = ""

    @property
    def id(self) -> str:
        return self.source_id or f"{self.origin}:{self.path}:{content_id(self.content)[:8]}"

    @property
    def normalized_language(self) -> str:
        return _LANGUAGES.get(self.language.strip().lower(), self.language.strip().lower())


def from_rows(rows: Iterable[dict], source: str) -> list[SourceDocument]:
    documents = []
    for index, row in enumerate(rows):
        missing = [c for c in REQUIRED_COLUMNS if row.get(c) is None]
        if missing:
            raise SourceError(f"{source}: row {index} lacks {', '.join(missing)} (need {', '.join(REQUIRED_COLUMNS)})")
        fields = {k: str(row[k]) for k in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if row.get(k) is not None}
        documents.append(SourceDocument(**fields))
    return documents


def from_table(table: pa.Table, source: str = "<table>") -> list[SourceDocument]:
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        need = ", ".join(REQUIRED_COLUMNS)
        raise SourceError(f"{source}: not a source table, missing columns {missing} (need {need})")
    keep = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in table.column_names]
    return from_rows(table.select(keep).to_pylist(), source)


def _curated_file(row: dict) -> dict:
    return {"path": row["path"], "language": row["language"], "content": row["content"],
            "origin": "literature" if row.get("origin") == "literature" else "repo",
            "source_id": f"{row.get('repo') or 'repo'}:{row['path']}", "license": row.get("license_spdx") or ""}


def _literature_snippet(row: dict) -> dict:
    return {"path": f"{row['doc_id']}#page{row['page']}.block{row['block']}", "language": row["language"],
            "content": row["code"], "origin": "literature", "source_id": row["snippet_id"]}


TABLE_READERS = {"curated_files": _curated_file, "literature_snippets": _literature_snippet}


def from_store(store: ArtifactStore, table: str, run_id: str) -> list[SourceDocument]:
    """Rows of `table` written by run `run_id` (a curation or literature run)."""
    source = f"{table}/run_id={run_id}"
    if table not in TABLE_READERS:
        return from_table(store.read(table, run_id), source)
    rows = [r for r in store.read(table, run_id).to_pylist() if r.get("verdict") != "rejected"]
    try:
        return from_rows([TABLE_READERS[table](r) for r in rows], source)
    except KeyError as err:
        raise SourceError(f"{source}: lacks column {err} that {table} rows carry") from err


def tables_in_run(store: ArtifactStore, run_id: str) -> list[str]:
    """The upstream tables this reader knows that `run_id` wrote."""
    return [t for t in TABLE_READERS if t in store.tables() and store.has(t, run_id)]


def from_directory(root: Path, origin: str = "repo") -> list[SourceDocument]:
    """Every file with a known extension under `root` (paths relative to it), plus `*.jsonl` rows."""
    documents = []
    for path in sorted(root.rglob("*")):
        if path.suffix == ".jsonl":
            documents += from_jsonl(path)
        elif path.suffix in EXTENSIONS and path.is_file():
            relative = str(path.relative_to(root))
            documents.append(SourceDocument(path=relative, language=EXTENSIONS[path.suffix],
                                            content=path.read_text(errors="replace"), origin=origin))  # fmt: skip
    return documents


def from_jsonl(path: Path) -> list[SourceDocument]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return from_rows(rows, str(path))
