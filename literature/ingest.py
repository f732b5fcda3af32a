"""One document to rows: pages (text layer or OCR, decided per page), snippets (verified), table rows.

Bad input never raises out of here: an unreadable document becomes a `LiteratureDocument` row with
its status and the reading library's message, a page that fails becomes a page row with path
`error` and the exception's message, and the caller goes on to the next document.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from literature.engines import DEFAULT_ENGINE, get_engine
from literature.layout import Box, group_rows, split_blocks
from literature.pages import (
    DocumentError,
    PdfPages,
    document_kind,
    garbage_ratio,
    image_frames,
    text_layer_verdict,
)
from literature.records import (
    STAGE,
    DocumentStatus,
    LiteratureDocument,
    LiteraturePage,
    LiteratureSnippet,
    LiteratureTableRow,
    PagePath,
    Verdict,
)
from literature.snippets import Listing, find_listings
from literature.tables import ExtractedTable, extract_tables
from literature.verify import Verification, verify_snippet
from schemas.record import content_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestOptions:
    """engine: OCR engine for pages without a usable text layer; dpi: raster resolution for OCR
    (200 dpi puts 9-pt code at ~25 px line height, inside PP-OCR's recogniser's comfortable range);
    pages: 1-based page numbers to read (None: all); verify: run the front ends on snippets."""

    engine: str = DEFAULT_ENGINE
    dpi: int = 200
    pages: tuple[int, ...] | None = None
    verify: bool = True


@dataclass
class IngestResult:
    document: LiteratureDocument
    pages: list[LiteraturePage] = field(default_factory=list)
    snippets: list[LiteratureSnippet] = field(default_factory=list)
    table_rows: list[LiteratureTableRow] = field(default_factory=list)


@dataclass(frozen=True)
class PageReading:
    """What one page gave: its text with layout, listings and tables."""

    text: str
    blocks: int
    listings: list[Listing]
    tables: list[ExtractedTable]
    mean_confidence: float


def read_boxes(boxes: list[Box]) -> PageReading:
    """Rows, tables, blocks and listings from a page's word boxes, and the page text in reading order."""
    rows = group_rows(boxes)
    tables = extract_tables(rows)
    used = {i for t in tables for i in t.source_rows}
    listings, blocks = find_listings(split_blocks([r for i, r in enumerate(rows) if i not in used]))
    by_block = {listing.block: listing for listing in listings}
    segments = [
        (block.rows[0].y0, by_block[i].code if i in by_block else block.plain_text()) for i, block in enumerate(blocks)
    ]
    for table in tables:
        table_rows = [rows[i] for i in table.source_rows]
        segments.append((table_rows[0].y0, "\n".join(r.plain() for r in table_rows)))
    confidence = sum(b.confidence for b in boxes) / len(boxes) if boxes else 0.0
    text = "\n\n".join(text for _, text in sorted(segments, key=lambda s: s[0]))
    return PageReading(text, len(blocks), listings, tables, round(confidence, 4))


def _ocr(image: Image.Image, options: IngestOptions) -> list[Box]:
    return get_engine(options.engine).recognize(image, options.dpi)


def _selected(count: int, options: IngestOptions) -> list[int]:
    wanted = options.pages or tuple(range(1, count + 1))
    return [p for p in wanted if 1 <= p <= count]


def _read_pdf_page(pdf: PdfPages, number: int, options: IngestOptions) -> tuple[list[Box], PagePath, str, float]:
    """(boxes, path, reason, garbage ratio): the text layer when it reads as text, OCR otherwise."""
    layer = pdf.text_layer(number - 1)
    usable, reason = text_layer_verdict(layer.text)
    if usable:
        return layer.boxes, PagePath.TEXT_LAYER, reason, garbage_ratio(layer.text)
    return _ocr(pdf.render(number - 1, options.dpi), options), PagePath.OCR, reason, garbage_ratio(layer.text)


def _page_id(doc_id: str, number: int, path: PagePath, options: IngestOptions) -> str:
    return content_id(doc_id, number, path, options.engine if path is PagePath.OCR else "")


_NOT_VERIFIED = Verification(Verdict.UNVERIFIABLE, "", "", "verification disabled")


def _page_rows(
    doc_id: str, number: int, reading: PageReading, path: PagePath, options: IngestOptions
) -> tuple[list[LiteratureSnippet], list[LiteratureTableRow]]:
    page_id = _page_id(doc_id, number, path, options)
    snippets = []
    for listing in reading.listings:
        check = verify_snippet(listing.language, listing.code) if options.verify else _NOT_VERIFIED
        snippets.append(
            LiteratureSnippet(
                stage=STAGE, parent_ids=[page_id], snippet_id=content_id(page_id, listing.block, listing.code),
                doc_id=doc_id, page=number, block=listing.block, language=listing.language,
                language_score=listing.language_score, code=listing.code, lines=len(listing.code.splitlines()),
                signals=list(listing.signals), path=path,
                verdict=check.verdict, context=check.context, tool=check.tool, tool_version=check.tool_version,
                tool_message=check.message,
            )
        )
    table_rows = [
        LiteratureTableRow(
            stage=STAGE, parent_ids=[page_id], table_id=content_id(page_id, "table", t_index), doc_id=doc_id,
            page=number, kind=table.kind, row=r_index, header=table.header, cells=cells,
        )
        for t_index, table in enumerate(reading.tables)
        for r_index, cells in enumerate(table.rows)
    ]
    return snippets, table_rows


def ingest_document(path: Path, options: IngestOptions | None = None) -> IngestResult:
    """Read `path` (PDF or image) into document, page, snippet and table-row records."""
    options = options or IngestOptions()
    started = time.monotonic()
    data = path.read_bytes() if path.is_file() else b""
    sha = hashlib.sha256(data).hexdigest()
    doc_id = content_id("literature", sha)
    kind = document_kind(path) if path.is_file() else "unknown"
    result = IngestResult(_document(doc_id, path, sha, kind, 0, DocumentStatus.OK, "", options, 0.0))
    try:
        if not path.is_file():
            raise DocumentError(DocumentStatus.CORRUPT, f"{path}: no such file")
        if kind == "unknown":
            raise DocumentError(DocumentStatus.UNSUPPORTED, f"{path}: neither a PDF nor a known image format")
        count = _read_pages(path, kind, doc_id, options, result)
        chars = sum(p.chars for p in result.pages)
        status = DocumentStatus.OK if chars else DocumentStatus.NO_TEXT
        error = "" if chars else f"{path}: no text found on {len(result.pages)} page(s), by text layer or OCR"
    except DocumentError as err:
        count, status, error = 0, err.status, str(err)
        log.warning("literature: %s", err)
    result.document = _document(doc_id, path, sha, kind, count, status, error, options, time.monotonic() - started)
    return result


def _document(
    doc_id: str, path: Path, sha: str, kind: str, pages: int, status: DocumentStatus, error: str,
    options: IngestOptions, duration: float,
) -> LiteratureDocument:
    return LiteratureDocument(
        stage=STAGE, doc_id=doc_id, source=str(path), sha256=sha, kind=kind, pages=pages, status=status,
        error=error, engine=options.engine, duration_s=round(duration, 3),
    )


def _read_pages(path: Path, kind: str, doc_id: str, options: IngestOptions, result: IngestResult) -> int:
    """Fill `result` page by page; the document's page count."""
    if kind == "image":
        frames = list(image_frames(path))
        for number in _selected(len(frames), options):
            _add_page(result, doc_id, path, number, options,
                      lambda n=number: (_ocr(frames[n - 1], options), PagePath.OCR, "image input", 0.0))
        return len(frames)
    with PdfPages.open(path) as pdf:
        for number in _selected(len(pdf), options):
            _add_page(result, doc_id, path, number, options, lambda n=number: _read_pdf_page(pdf, n, options))
        return len(pdf)


PageReader = Callable[[], tuple[list[Box], PagePath, str, float]]


def _add_page(
    result: IngestResult, doc_id: str, path: Path, number: int, options: IngestOptions, read: PageReader
) -> None:
    """Read one page and append its rows; an exception becomes the page's error row."""
    started = time.monotonic()
    common = {"stage": STAGE, "parent_ids": [doc_id], "doc_id": doc_id, "source": str(path), "page": number}
    try:
        boxes, page_path, reason, garbage = read()
        reading = read_boxes(boxes)
    except Exception as err:  # a page's failure is data: recorded, the document goes on
        result.pages.append(LiteraturePage(
            **common, page_id=content_id(doc_id, number, "error"), path=PagePath.ERROR, reason="page failed",
            engine=options.engine, dpi=options.dpi, text="", chars=0, garbage_ratio=0.0, mean_confidence=0.0,
            blocks=0, error=f"{type(err).__name__}: {err}", duration_s=round(time.monotonic() - started, 3),
        ))
        log.warning("literature: %s page %d: %s: %s", path, number, type(err).__name__, err)
        return
    ocr = page_path is PagePath.OCR
    snippets, table_rows = _page_rows(doc_id, number, reading, page_path, options)
    result.pages.append(LiteraturePage(
        **common, page_id=_page_id(doc_id, number, page_path, options), path=page_path,
        reason=reason, engine=options.engine if ocr else "", dpi=options.dpi if ocr else 0, text=reading.text,
        chars=sum(1 for c in reading.text if not c.isspace()), garbage_ratio=round(garbage, 4),
        mean_confidence=reading.mean_confidence, blocks=reading.blocks,
        duration_s=round(time.monotonic() - started, 3),
    ))
    result.snippets += snippets
    result.table_rows += table_rows
