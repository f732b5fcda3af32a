"""The literature flow through Prefect: catalog views, error rows, per-document caching, --from-run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.settings import configure
from literature.corpus import render_pdf
from literature.samples import DOCUMENTS
from schemas.store import ArtifactStore


@pytest.fixture(scope="module")
def literature_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ArtifactStore, str, list[str]]]:
    base = tmp_path_factory.mktemp("literature")
    root = base / "data"
    configure(str(root))
    from flows.literature import literature_flow

    datasheet = base / "datasheet.pdf"
    datasheet.write_bytes(render_pdf(DOCUMENTS["cnt8-datasheet"])[0])
    (base / "empty.pdf").write_bytes(b"")
    sources = [f"{datasheet}#2", str(base / "empty.pdf")]
    yield ArtifactStore(root), literature_flow(sources, data_root=str(root)), sources


def test_catalog_has_pages_snippets_and_error_rows(literature_run: tuple[ArtifactStore, str, list[str]]) -> None:
    store, run_id, _ = literature_run
    with store.connect() as con:
        pages = con.execute("SELECT page, path FROM literature_pages WHERE run_id = ?", [run_id]).fetchall()
        snippets = con.execute(
            "SELECT language, verdict FROM literature_snippets WHERE run_id = ?", [run_id]
        ).fetchall()
        documents = dict(
            con.execute("SELECT status, selection FROM literature_documents WHERE run_id = ?", [run_id]).fetchall()
        )
        tables = con.execute("SELECT count(*) FROM literature_table_rows WHERE run_id = ?", [run_id]).fetchone()
    assert pages == [(2, "text_layer")]  # only the page asked for
    assert snippets == [("python", "verified")]
    assert documents == {"ok": "2", "empty": ""}
    assert tables[0] == len(DOCUMENTS["cnt8-datasheet"][1][2].rows) + len(DOCUMENTS["cnt8-datasheet"][1][4].rows)


def test_rerun_and_from_run(literature_run: tuple[ArtifactStore, str, list[str]]) -> None:
    from flows.literature import literature_flow

    store, run_id, sources = literature_run
    parts = sorted(Path(store.root).rglob("*.parquet"))
    assert literature_flow(sources, data_root=str(store.root)) == run_id
    assert sorted(Path(store.root).rglob("*.parquet")) == parts  # cached: nothing rewritten
    again = literature_flow(from_run=run_id, verify=False, data_root=str(store.root))
    assert again != run_id
    with store.connect() as con:
        verdicts = con.execute("SELECT verdict FROM literature_snippets WHERE run_id = ?", [again]).fetchall()
    assert verdicts == [("unverifiable",)]
