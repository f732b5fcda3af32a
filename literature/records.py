"""The literature stage's rows: one per document, page, code snippet and table row.

Each is an `Artifact` (stage + parent ids) so lineage reads the same as for the rest of the pipeline:
a page's parent is its document, a snippet's and a table row's parent is their page.
"""

from __future__ import annotations

import enum

from pydantic import Field

from schemas.artifacts import Artifact

STAGE = "literature"


class DocumentStatus(enum.StrEnum):
    """Why a document gave pages or not; anything but OK comes with the library's own message."""

    OK = "ok"
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    EMPTY = "empty"  # no pages, or a zero-byte file
    NO_TEXT = "no_text"  # readable, but neither a text layer nor OCR found any text
    UNSUPPORTED = "unsupported"  # not a PDF nor an image format we read


class PagePath(enum.StrEnum):
    """Which way the page's text was read."""

    TEXT_LAYER = "text_layer"
    OCR = "ocr"
    ERROR = "error"


class Verdict(enum.StrEnum):
    """What the real front end said about a snippet."""

    VERIFIED = "verified"  # the front end accepted it (as written, or in the stated context)
    REJECTED = "rejected"  # the front end refused it; `tool_message` holds its words
    UNVERIFIABLE = "unverifiable"  # no front end for this language here (named in `tool_message`)


class LiteratureDocument(Artifact):
    """One input file: its status, page count and, for bad input, the reading library's message."""

    TABLE = "literature_documents"
    doc_id: str
    source: str
    sha256: str
    kind: str  # pdf | image | unknown
    pages: int
    status: DocumentStatus
    error: str = ""
    selection: str = ""  # the pages asked for ("5-7,28"), "" for all
    engine: str
    duration_s: float


class LiteraturePage(Artifact):
    """One page's text with its layout (indentation and columns rebuilt), and how it was read."""

    TABLE = "literature_pages"
    page_id: str
    doc_id: str
    source: str
    page: int  # 1-based
    path: PagePath
    reason: str  # why this path: "text layer: 1520 chars", "no text layer", "garbage text layer (...)"
    engine: str  # "" on the text-layer path
    dpi: int  # 0 on the text-layer path
    text: str
    chars: int
    garbage_ratio: float
    mean_confidence: float
    blocks: int
    error: str = ""
    duration_s: float


class LiteratureSnippet(Artifact):
    """A code listing found on a page, its language, and the front end's verdict in its own words."""

    TABLE = "literature_snippets"
    snippet_id: str
    doc_id: str
    page: int
    block: int
    language: str
    language_score: float
    code: str
    lines: int
    signals: list[str] = Field(default_factory=list)  # why it is a listing: monospace, keywords, symbols
    path: PagePath
    verdict: Verdict
    context: str = ""  # "" = verified as written; else the context added (e.g. "wrapped in a module")
    tool: str = ""
    tool_version: str = ""
    tool_message: str = ""


class LiteratureTableRow(Artifact):
    """One row of a register or pin table, cells keyed by the table's normalised column names."""

    TABLE = "literature_table_rows"
    table_id: str
    doc_id: str
    page: int
    kind: str  # register | pin
    row: int
    header: list[str]
    cells: dict[str, str]
