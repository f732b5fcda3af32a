"""Flow `literature`: PDFs and page images to pages, verified code snippets and table rows.

One Prefect task per document, cached on the document's content hash and the reading options, so a
rerun over the same files does no work and writes nothing new. Rows land in `literature_documents`
(one per file, with the error for bad input), `literature_pages`, `literature_snippets` and
`literature_table_rows`. Without sources the flow reads the bundled literature: the test documents
the project generates (`literature/corpus.py`) plus pages of the Verilator manual that Debian's
verilator package installs, where present. `from_run` re-reads an earlier run's documents (with
another engine or DPI, say).
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import INPUTS

from flows.report import publish_counts
from flows.runtime import record_once, with_cache
from literature.corpus import build_corpus
from literature.engines import DEFAULT_ENGINE
from literature.ingest import IngestOptions, ingest_document
from literature.records import LiteratureDocument, Verdict
from schemas.record import content_id
from schemas.store import ArtifactStore

FLOW = "literature"
BUNDLED_DIR = "_literature_inputs"  # a leading "_" keeps it out of the catalog (not a table)
# Pages of the Verilator manual (Artistic-2.0 / LGPL-3, shipped by Debian's verilator package) with
# SystemVerilog, C++ and shell examples next to prose: real typeset literature for the demo.
VERILATOR_MANUAL = "/usr/share/doc/verilator/verilator.pdf#5,6,28"


def parse_source(spec: str) -> tuple[Path, tuple[int, ...] | None]:
    """`file.pdf` or `file.pdf#5-7,28` -> (path, 1-based pages or None for all)."""
    path, _, selection = spec.partition("#")
    if not selection:
        return Path(path), None
    pages: list[int] = []
    for part in selection.split(","):
        first, _, last = part.partition("-")
        pages += range(int(first), int(last or first) + 1)
    return Path(path), tuple(pages)


def bundled_sources(store: ArtifactStore) -> list[str]:
    """Build the generated literature under the data root (a temp dir for remote roots); its specs."""
    base = store.local_root / BUNDLED_DIR if store.local_root else Path(tempfile.mkdtemp(prefix="forge-lit-"))
    files = [str(p) for p in build_corpus(base)]
    manual = Path(VERILATOR_MANUAL.partition("#")[0])
    return files + ([VERILATOR_MANUAL] if manual.is_file() else [])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


@task(cache_policy=INPUTS, persist_result=True)
def ingest(source: str, sha256: str, options: dict, run_id: str, data_root: str) -> dict[str, int]:
    """Read one document and store its rows; `sha256` is in the inputs so a changed file is re-read."""
    path, pages = parse_source(source)
    result = ingest_document(path, IngestOptions(**options, pages=pages))
    store = ArtifactStore(data_root)
    store.write_records([result.document.model_copy(update={"selection": source.partition("#")[2]})], run_id)
    for rows in (result.pages, result.snippets, result.table_rows):
        if rows:
            store.write_records(rows, run_id)
    counts = Counter({f"documents: {result.document.status}": 1, "pages": len(result.pages),
                      "snippets": len(result.snippets), "table rows": len(result.table_rows)})
    counts.update(f"pages: {p.path}" for p in result.pages)
    counts.update(f"snippets: {s.verdict}" for s in result.snippets)
    counts.update(f"language: {s.language}" for s in result.snippets)
    return dict(counts)


@flow(name=FLOW)
def literature_flow(
    sources: list[str] | None = None,
    from_run: str | None = None,
    engine: str = DEFAULT_ENGINE,
    dpi: int = 200,
    verify: bool = True,
    run_id: str | None = None,
    data_root: str | None = None,
    force: bool = False,
) -> str:
    """Read technical literature into page, snippet and table rows; returns the run id.

    Args:
        sources: PDF or image files; `file.pdf#5-7,28` reads only those pages (default: the bundled set).
        from_run: Re-read the documents of this earlier literature run instead.
        engine: OCR engine for pages without a usable text layer (rapidocr, paddleocr, tesseract).
        dpi: Raster resolution for OCR.
        verify: Run the real front ends on the snippets.
        run_id: This run's id; default: derived from the documents and options.
        data_root: Data root (default: $FORGE_DATA or ./data).
        force: Redo every document even if cached.
    """
    store = ArtifactStore(data_root)
    if from_run:
        documents = store.read_records(LiteratureDocument, from_run)
        sources = [f"{d.source}#{d.selection}" if d.selection else d.source for d in documents]
    sources = sources or bundled_sources(store)
    options = asdict(IngestOptions(engine=engine, dpi=dpi, verify=verify))
    options.pop("pages")
    digests = [_digest(parse_source(s)[0]) for s in sources]
    run_id = run_id or f"lit-{content_id(sorted(zip(sources, digests, strict=True)), sorted(options.items()))}"
    totals: Counter[str] = Counter()
    for source, digest in zip(sources, digests, strict=True):
        totals.update(with_cache(ingest, force)(source, digest, options, run_id, str(store.root)))
    verified, rejected = totals[f"snippets: {Verdict.VERIFIED}"], totals[f"snippets: {Verdict.REJECTED}"]
    counts: dict[str, object] = dict(sorted(totals.items()))
    counts["snippet verification rate"] = round(verified / max(verified + rejected, 1), 3)
    params = {"sources": sources, "from_run": from_run, **options}
    with_cache(record_once, force)(run_id, FLOW, params, [from_run] if from_run else [], counts, str(store.root))
    publish_counts("literature", "Literature", counts, run_id, store)
    return run_id


def run_from_args(args: argparse.Namespace, data_root: str) -> str:
    """Run the flow for parsed `forge literature` arguments and print what it wrote."""
    run_id = literature_flow(
        args.sources or None, args.from_run, args.engine, args.dpi, not args.no_verify, args.run_id, data_root,
        args.force,
    )
    print_report(ArtifactStore(data_root), run_id)
    return run_id


def print_report(store: ArtifactStore, run_id: str) -> None:
    """Documents by status, pages by path, snippets by language and verdict, from the catalog."""
    from rich.console import Console
    from rich.table import Table

    queries = {
        "Documents": "SELECT status, count(*) n FROM literature_documents WHERE run_id = ? GROUP BY ALL ORDER BY 1",
        "Pages": "SELECT path, engine, count(*) n FROM literature_pages WHERE run_id = ? GROUP BY ALL ORDER BY 1, 2",
        "Snippets": "SELECT language, verdict, count(*) n FROM literature_snippets WHERE run_id = ? "
        "GROUP BY ALL ORDER BY 1, 2",
    }
    console = Console()
    with store.connect() as con:
        tables = set(con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall())
        for title, query in queries.items():
            view = query.split("FROM ")[1].split()[0]
            if (view,) not in tables:
                continue
            result = con.execute(query, [run_id])
            table = Table(title=f"{title} of {run_id}")
            for column in result.description:
                table.add_column(column[0])
            for row in result.fetchall():
                table.add_row(*(str(v) for v in row))
            console.print(table)
